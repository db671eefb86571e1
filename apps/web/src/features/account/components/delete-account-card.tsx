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
import { deleteAccount } from '../api/delete-account';

const FIELDS = ['password'] as const;

export interface DeleteAccountCardProps {
  /** The account is gone; the caller signs the client out and leaves the page. */
  onDeleted: () => void;
}

export function DeleteAccountCard({ onDeleted }: DeleteAccountCardProps) {
  const { fetch, user } = useAuth();
  const [password, setPassword] = useState('');
  const remove = useAction(() => deleteAccount(fetch, password));
  const errors = formErrors(remove.error, FIELDS);

  const submit = async () => {
    if ((await remove.run()).ok) onDeleted();
  };

  return (
    <Card
      title="Delete account"
      tone="danger"
      description="Deletes your account and ends every session. This cannot be undone."
    >
      <Form onSubmit={() => void submit()}>
        {errors.form && <Alert tone="error">{errors.form}</Alert>}
        <HiddenUsername username={user?.username} />
        <TextField
          label="Confirm password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          hint="Enter your password to confirm."
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          error={errors.fields.password}
        />
        <FormActions>
          <Button type="submit" variant="danger" loading={remove.pending}>
            Delete account
          </Button>
        </FormActions>
      </Form>
    </Card>
  );
}
