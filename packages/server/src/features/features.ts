import type { Feature } from '../core/core.js';
import { accountFeature } from './account/plugin.js';
import { adminFeature } from './admin/plugin.js';
import { apiFeature } from './api/plugin.js';
import { compatFeature } from './compat/plugin.js';
import { emailFeature } from './email/plugin.js';
import { emailChangeFeature } from './email-change/plugin.js';
import { healthFeature } from './health/plugin.js';
import { keysFeature } from './keys/plugin.js';
import { mfaFeature } from './mfa/plugin.js';
import { noticesFeature } from './notices/plugin.js';
import { passkeysFeature } from './passkeys/plugin.js';
import { passwordFeature } from './password/plugin.js';
import { rolesFeature } from './roles/plugin.js';
import { sessionsFeature } from './sessions/plugin.js';

/**
 * Every feature the app registers, in order. A new way of signing in is a folder beside these and one
 * line here.
 */
export const FEATURES: readonly Feature[] = [
  apiFeature,
  healthFeature,
  keysFeature,
  passwordFeature,
  sessionsFeature,
  accountFeature,
  adminFeature,
  rolesFeature,
  emailFeature,
  emailChangeFeature,
  noticesFeature,
  mfaFeature,
  passkeysFeature,
  compatFeature,
];
