import { useState } from 'react';
import { useAuth } from '@gatehouse/client/react';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { Form } from '../../../components/ui/form';
import { TextField } from '../../../components/ui/text-field';
import { formErrors } from '../../../lib/form-errors';
import { useAction } from '../../../lib/use-action';

const FIELDS = ['email'] as const;

/** Asks for a reset link. The answer is the same whether or not an account uses the address. */
export function ForgotPasswordForm() {
  const { client } = useAuth();
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState<string | undefined>(undefined);
  const request = useAction(() => client.requestPasswordReset(email.trim()));
  const errors = formErrors(request.error, FIELDS);

  const submit = async () => {
    setSent(undefined);
    const outcome = await request.run();
    if (outcome.ok) setSent(outcome.value.detail);
  };

  return (
    <Form onSubmit={() => void submit()}>
      {errors.form && <Alert tone="error">{errors.form}</Alert>}
      {sent && (
        <Alert tone="success" title={sent}>
          Check your inbox, and your spam folder. The link works once, for a limited time.
        </Alert>
      )}
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
      <Button type="submit" block loading={request.pending}>
        {sent ? 'Send another link' : 'Send me a link'}
      </Button>
    </Form>
  );
}
