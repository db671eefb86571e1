import { useState, type ReactNode } from 'react';
import { useAuth } from '@gatehouse/client/react';
import { isInvalidLink, LinkProblem, MISSING_TOKEN } from '../../../components/link-action';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { Form } from '../../../components/ui/form';
import { TextField } from '../../../components/ui/text-field';
import { formErrors } from '../../../lib/form-errors';
import { useAction } from '../../../lib/use-action';

const FIELDS = ['new_password'] as const;

export interface ResetPasswordFormProps {
  /** From the reset link's fragment; null when the link came without one. */
  token: string | null;
  /** The server's confirmation, with the way to log in. */
  done: (detail: string) => ReactNode;
  /** When the link is missing, used or expired: the way to ask for another. */
  recovery: ReactNode;
}

/** Sets a new password with a reset link's token, when the user submits it (opening the page spends nothing). */
export function ResetPasswordForm({ token, done, recovery }: ResetPasswordFormProps) {
  const { client } = useAuth();
  const [password, setPassword] = useState('');
  const [detail, setDetail] = useState<string | undefined>(undefined);
  const reset = useAction((value: string) => client.resetPassword(value, password));
  const errors = formErrors(reset.error, FIELDS);

  if (token === null) return <LinkProblem message={MISSING_TOKEN}>{recovery}</LinkProblem>;
  if (detail !== undefined) return <>{done(detail)}</>;
  if (isInvalidLink(reset.error)) return <LinkProblem message={reset.error.detail}>{recovery}</LinkProblem>;

  const submit = async () => {
    const outcome = await reset.run(token);
    if (outcome.ok) {
      setPassword('');
      setDetail(outcome.value.detail);
    }
  };

  return (
    <Form onSubmit={() => void submit()}>
      {errors.form && <Alert tone="error">{errors.form}</Alert>}
      <TextField
        label="New password"
        name="new_password"
        type="password"
        autoComplete="new-password"
        required
        hint="At least 8 characters; not a common password, nor close to your username or email."
        value={password}
        onChange={(event) => setPassword(event.target.value)}
        error={errors.fields.new_password}
      />
      <Button type="submit" block loading={reset.pending}>
        Set the new password
      </Button>
    </Form>
  );
}
