import { SecondFactorRequired } from '@gatehouse/client';
import { useAuth } from '@gatehouse/client/react';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { errorMessage } from '../../../lib/form-errors';
import { useAction } from '../../../lib/use-action';

export interface PasskeySignInProps {
  /** A passkey that did not verify the user may still leave a second step to take. */
  onSecondFactor: (challenge: SecondFactorRequired) => void;
}

/**
 * "Sign in with a passkey", where the browser has WebAuthn. The WebAuthn code is loaded by the client on
 * the click, so the login page's first download does not carry it.
 */
export function PasskeySignIn({ onSecondFactor }: PasskeySignInProps) {
  const { client } = useAuth();
  const signIn = useAction(() => client.signInWithPasskey());
  if (typeof window === 'undefined' || !('PublicKeyCredential' in window)) return null;

  const run = async () => {
    const outcome = await signIn.run();
    if (!outcome.ok && outcome.error instanceof SecondFactorRequired) onSecondFactor(outcome.error);
  };
  const refused = signIn.error instanceof SecondFactorRequired ? undefined : signIn.error;

  return (
    <div className="auth-layout__alternative">
      {refused !== undefined && <Alert tone="error">{errorMessage(refused)}</Alert>}
      <Button variant="secondary" block loading={signIn.pending} onClick={() => void run()}>
        Sign in with a passkey
      </Button>
    </div>
  );
}
