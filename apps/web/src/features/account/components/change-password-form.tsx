import { useState } from 'react';
import { useAuth } from '@gatehouse/client/react';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/card';
import { Form, FormActions } from '../../../components/ui/form';
import { HiddenUsername } from '../../../components/ui/hidden-username';
import { TextField } from '../../../components/ui/text-field';
import { formErrors } from '../../../lib/form-errors';
import { useAction } from '../../../lib/use-action';
import { changePassword } from '../api/password';

const FIELDS = ['current_password', 'new_password'] as const;

export interface ChangePasswordFormProps {
  /** The server ended every other session: lists of sessions should load again. */
  onChanged?: () => void;
}

export function ChangePasswordForm({ onChanged }: ChangePasswordFormProps) {
  const { fetch, user } = useAuth();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [changed, setChanged] = useState(false);
  const change = useAction(() => changePassword(fetch, { current_password: current, new_password: next }));
  const errors = formErrors(change.error, FIELDS);

  const submit = async () => {
    setChanged(false);
    if ((await change.run()).ok) {
      setCurrent('');
      setNext('');
      setChanged(true);
      onChanged?.();
    }
  };

  return (
    <Card title="Password" description="Changing it logs you out on every other device.">
      <Form onSubmit={() => void submit()}>
        {errors.form && <Alert tone="error">{errors.form}</Alert>}
        {changed && <Alert tone="success">Password changed. Your other sessions were logged out.</Alert>}
        <HiddenUsername username={user?.username} />
        <TextField
          label="Current password"
          name="current_password"
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(event) => setCurrent(event.target.value)}
          error={errors.fields.current_password}
        />
        <TextField
          label="New password"
          name="new_password"
          type="password"
          autoComplete="new-password"
          required
          hint="At least 8 characters; not a common password, nor close to your username or email."
          value={next}
          onChange={(event) => setNext(event.target.value)}
          error={errors.fields.new_password}
        />
        <FormActions>
          <Button type="submit" loading={change.pending}>
            Change password
          </Button>
        </FormActions>
      </Form>
    </Card>
  );
}
