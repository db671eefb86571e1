import { GatehouseError } from '@gatehouse/client';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';

export const needsReauthentication = (error: unknown) =>
  error instanceof GatehouseError && error.code === 'reauthentication_required';

/** As the email card: the sign-in is too old for this change, and the way to sign in again. */
export function ReauthenticateAlert({ onReauthenticate }: { onReauthenticate: () => void }) {
  return (
    <Alert tone="warning" title="Sign in again to change how you sign in.">
      <p>For your security, this change needs a recent sign-in.</p>
      <Button size="sm" variant="secondary" onClick={onReauthenticate}>
        Sign in again
      </Button>
    </Alert>
  );
}
