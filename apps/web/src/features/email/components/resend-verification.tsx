import { useState } from 'react';
import { useAuth } from '@gatehouse/client/react';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { Form } from '../../../components/ui/form';
import { TextField } from '../../../components/ui/text-field';
import { formErrors } from '../../../lib/form-errors';
import { useAction } from '../../../lib/use-action';

const FIELDS = ['email'] as const;

export interface ResendVerificationProps {
  /** Signed out: the address to prefill (what the user typed to log in, if it was one). */
  email?: string;
}

/**
 * "Send a new link": to the signed-in user's address, or, signed out, to the address typed here (the
 * answer is the same whether or not it needs one).
 */
export function ResendVerification({ email: initial = '' }: ResendVerificationProps) {
  const { client, status } = useAuth();
  const signedIn = status === 'signed-in';
  const [email, setEmail] = useState(initial);
  const [sent, setSent] = useState<string | undefined>(undefined);
  const resend = useAction(() => client.resendVerification(signedIn ? undefined : email.trim()));
  const errors = formErrors(resend.error, FIELDS);

  const submit = async () => {
    setSent(undefined);
    const outcome = await resend.run();
    if (outcome.ok) setSent(outcome.value.detail);
  };

  return (
    <Form onSubmit={() => void submit()} aria-label="Send a new verification link">
      {errors.form && <Alert tone="error">{errors.form}</Alert>}
      {sent && <Alert tone="success">{sent}</Alert>}
      {!signedIn && (
        <TextField
          label="Email"
          name="email"
          type="email"
          autoComplete="email"
          spellCheck={false}
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          error={errors.fields.email}
        />
      )}
      <Button type="submit" variant="secondary" loading={resend.pending}>
        Send a new link
      </Button>
    </Form>
  );
}
