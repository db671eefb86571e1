import { createAuthClient, type AuthClient, type AuthClientOptions } from '../auth-client.js';
import { createFakeServer, manualClock, type FakeServerOptions } from './fake-server.js';

/** A fake server, a clock, and a factory of clients wired to both (no tab sync unless given). */
export function setup(
  serverOptions: Pick<
    FakeServerOptions,
    'accessLifetime' | 'rotationGracePeriod' | 'origin' | 'emailVerification' | 'reauthenticationWindow'
  > = {},
) {
  const clock = manualClock();
  const server = createFakeServer({ now: clock, ...serverOptions });
  const user = server.addUser('ada');
  const clients: AuthClient[] = [];
  const client = (options: AuthClientOptions = {}) => {
    const created = createAuthClient({
      baseUrl: serverOptions.origin ?? 'http://gatehouse.test',
      mode: 'cookie',
      fetch: server.fetch,
      now: clock,
      tabs: null,
      ...options,
    });
    clients.push(created);
    return created;
  };
  const disposeAll = () => clients.forEach((created) => created.dispose());
  return { clock, server, user, client, disposeAll };
}

export const credentials = { username: 'ada', password: 'password1' };
