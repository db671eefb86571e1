import { useState } from 'react';
import { SecondFactorRequired } from '@gatehouse/client';
import { useAuth } from '@gatehouse/client/react';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { Form, FormRow } from '../../../components/ui/form';
import { TextField } from '../../../components/ui/text-field';
import { formErrors } from '../../../lib/form-errors';
import { useAction } from '../../../lib/use-action';

const FIELDS = ['username', 'email', 'password', 'first_name', 'last_name'] as const;
type Field = (typeof FIELDS)[number];

const EMPTY: Record<Field, string> = { username: '', email: '', password: '', first_name: '', last_name: '' };

export interface RegisterFormProps {
  /** The server wants a second factor set up before the new account signs in (its policy). */
  onSecondFactor?: (challenge: SecondFactorRequired) => void;
}

/** A new account, signed in at once; the route leaves the page when the auth state changes. */
export function RegisterForm({ onSecondFactor }: RegisterFormProps) {
  const { register } = useAuth();
  const [values, setValues] = useState(EMPTY);
  const submit = useAction(() => {
    const email = values.email.trim();
    const firstName = values.first_name.trim();
    const lastName = values.last_name.trim();
    return register({
      username: values.username.trim(),
      password: values.password,
      ...(email && { email }),
      ...(firstName && { first_name: firstName }),
      ...(lastName && { last_name: lastName }),
    });
  });
  const challenge = submit.error instanceof SecondFactorRequired && onSecondFactor !== undefined;
  const errors = formErrors(challenge ? undefined : submit.error, FIELDS);
  const run = async () => {
    const outcome = await submit.run();
    if (!outcome.ok && outcome.error instanceof SecondFactorRequired) onSecondFactor?.(outcome.error);
  };
  const field = (name: Field) => ({
    name,
    value: values[name],
    onChange: (event: { target: { value: string } }) =>
      setValues((current) => ({ ...current, [name]: event.target.value })),
    error: errors.fields[name],
  });

  return (
    <Form onSubmit={() => void run()}>
      {errors.form && <Alert tone="error">{errors.form}</Alert>}
      <TextField
        label="Username"
        autoComplete="username"
        autoCapitalize="none"
        spellCheck={false}
        required
        hint="Letters, digits and @ . + - _ only."
        {...field('username')}
      />
      <TextField
        label="Email"
        type="email"
        autoComplete="email"
        spellCheck={false}
        hint="Optional. You can log in with it too."
        {...field('email')}
      />
      <FormRow>
        <TextField label="First name" autoComplete="given-name" hint="Optional." {...field('first_name')} />
        <TextField label="Last name" autoComplete="family-name" hint="Optional." {...field('last_name')} />
      </FormRow>
      <TextField
        label="Password"
        type="password"
        autoComplete="new-password"
        required
        hint="At least 8 characters; not a common password, nor close to your username or email."
        {...field('password')}
      />
      <Button type="submit" block loading={submit.pending}>
        Create account
      </Button>
    </Form>
  );
}
