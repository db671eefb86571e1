export { AuthProvider, type AuthProviderProps } from './auth-provider.js';
export { RequireAuth, type RequireAuthProps } from './require-auth.js';
export { useAuth, useAuthClient, type UseAuthResult } from './use-auth.js';
