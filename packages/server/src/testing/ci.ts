/**
 * Whether the tests run on CI, read one way everywhere: `CI` set to anything but empty, `0` or `false`
 * (GitHub Actions and most runners set `CI=true`; some set `1`). On CI a suite that needs PostgreSQL or
 * a browser fails when it cannot have them, where on a laptop it is skipped, saying so.
 */
export function onCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env['CI'];
  return ci !== undefined && !/^(|0|false)$/i.test(ci.trim());
}
