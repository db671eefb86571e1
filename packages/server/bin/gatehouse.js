#!/usr/bin/env node
// The installed command. It lives outside dist/ so that npm can link it at install time, before the
// `prepare` script has compiled dist/.
import '../dist/cli/main.js';
