import { useState, type ReactNode } from 'react';
import { GatehouseError, SecondFactorRequired } from '@gatehouse/client';
import { useAuth } from '@gatehouse/client/react';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { Form } from '../../../components/ui/form';
import { TextField } from '../../../components/ui/text-field';
import { formErrors } from '../../../lib/form-errors';
import { useAction } from '../../../lib/use-action';

const FIELDS = ['username', 'password'] as const;
// The login route names its identifier `email` when neither is sent; it is this form's one input.
const ALIASES = { email: 'username' } as const;

export interface LoginFormProps {
  /**
   * Shown under the form when the server wants the address verified first (`email_not_verified`): the
   * way to get a new link, given what the user typed as their username or email.
   */
  unverified?: (identifier: string) => ReactNode;
  /** The password was right, and the server wants a second step (or a factor set up first). */
  onSecondFactor?: (challenge: SecondFactorRequired) => void;
}

/** Username or email, and password. Signing in changes the auth state; the route decides where to go. */
export function LoginForm({ unverified, onSecondFactor }: LoginFormProps) {
  const { login } = useAuth();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const submit = useAction(() => login({ username: username.trim(), password }));
  const challenge = submit.error instanceof SecondFactorRequired && onSecondFactor ? submit.error : undefined;
  const errors = formErrors(challenge ? undefined : submit.error, FIELDS, ALIASES);

  const run = async () => {
    const outcome = await submit.run();
    if (!outcome.ok && outcome.error instanceof SecondFactorRequired) onSecondFactor?.(outcome.error);
  };
  const notVerified = submit.error instanceof GatehouseError && submit.error.code === 'email_not_verified';

  return (
    <>
      <Form onSubmit={() => void run()}>
        {errors.form && <Alert tone="error">{errors.form}</Alert>}
        <TextField
          label="Username or email"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          value={username}
          onChange={(event) => setUsername(event.target.value)}
          error={errors.fields.username}
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          error={errors.fields.password}
        />
        <Button type="submit" block loading={submit.pending}>
          Log in
        </Button>
      </Form>
      {notVerified && unverified?.(username.trim())}
    </>
  );
}
