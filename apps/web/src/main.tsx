import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/app';
import { parseEnv } from './config/env';
import { createGatehouseClient } from './lib/auth-client';
import { takeLinkToken } from './lib/link-token';
import './styles/tokens.css';
import './styles/base.css';

// First of all: a mailed link's token (or a provider sign-in's code) leaves the address bar before any
// other code runs or sees the URL.
const linkToken = takeLinkToken(window.location, window.history);
const env = parseEnv(import.meta.env);
// Created here, once, outside React: the client opens a BroadcastChannel to the other tabs, and a
// component's state initializer runs twice under StrictMode, which would leave a second client listening.
const client = createGatehouseClient(env);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App client={client} linkToken={linkToken} />
  </StrictMode>,
);
