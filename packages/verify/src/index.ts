export { readBearer } from './bearer.js';
export { createVerifier } from './verifier.js';
export { ALGORITHMS } from './types.js';
export type {
  AccessClaims,
  Algorithm,
  Verifier,
  VerifierOptions,
  VerifyFailureCode,
  VerifyResult,
} from './types.js';
export { isMultiFactor, isRecentlyAuthenticated, requireAssurance } from './assurance.js';
export type { AssuranceFailureCode, AssuranceOptions, AssuranceResult } from './assurance.js';
export { hasPermission, hasRole, requirePermission } from './permissions.js';
export type { PermissionFailureCode, PermissionResult } from './permissions.js';
