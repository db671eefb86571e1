/**
 * Tells password managers whose password a form changes or confirms; invisible, and out of the
 * accessibility tree and the tab order.
 */
export function HiddenUsername({ username }: { username: string | undefined }) {
  if (username === undefined) return null;
  return <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />;
}
