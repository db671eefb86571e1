export * from './errors.js';
export * from './tokens.js';
export * from './users.js';
export * from './accounts.js';
export * from './health.js';
export * from './email.js';
export * from './email-change.js';
export * from './mfa.js';
