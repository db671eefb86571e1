import type { Config } from '../../config.js';
import type { TokenService } from '../../auth/tokens.js';
import type { AccountsService } from '../../users/accounts-service.js';
import type { AdminService } from '../../users/admin-service.js';
import type { Guards } from '../guards.js';
import type { RateLimiter } from '../rate-limit.js';
import type { ReadinessCheck } from '../readiness.js';

/** What route modules are given; they reach nothing else. */
export interface RouteDeps {
  config: Config;
  tokens: TokenService;
  accounts: AccountsService;
  admin: AdminService;
  guards: Guards;
  rateLimit: RateLimiter;
  ready: ReadinessCheck;
}
