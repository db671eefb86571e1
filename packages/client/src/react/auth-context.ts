import { createContext } from 'react';
import type { AuthClient } from '../auth-client.js';

export const AuthClientContext = createContext<AuthClient | null>(null);
