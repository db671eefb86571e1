import { useState } from 'react';
import { useAuth } from '@gatehouse/client/react';
import type { ProfileResponse } from '@gatehouse/contract';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/card';
import { Form, FormActions, FormRow } from '../../../components/ui/form';
import { PageSpinner } from '../../../components/ui/spinner';
import { TextField } from '../../../components/ui/text-field';
import { errorMessage, formErrors } from '../../../lib/form-errors';
import { useAction } from '../../../lib/use-action';
import { useResource } from '../../../lib/use-resource';
import { getProfile, updateProfile } from '../api/profile';

const FIELDS = ['first_name', 'last_name', 'email'] as const;
type Field = (typeof FIELDS)[number];

/** Edits the names and the profile's contact email (the login email is not the owner's to change). */
export function ProfileForm() {
  const { fetch } = useAuth();
  const { state, reload } = useResource('profile', (signal) => getProfile(fetch, signal));
  return (
    <Card title="Profile" description="Your name and contact email, shown on your home page.">
      {state.status === 'loading' && <PageSpinner label="Loading your profile…" />}
      {state.status === 'error' && (
        <Alert tone="error" title="Your profile could not be loaded.">
          <p>{errorMessage(state.error)}</p>
          <Button variant="secondary" size="sm" onClick={reload}>
            Try again
          </Button>
        </Alert>
      )}
      {state.status === 'ready' && <ProfileFields profile={state.data} />}
    </Card>
  );
}

function ProfileFields({ profile }: { profile: ProfileResponse }) {
  const { fetch, refreshUser } = useAuth();
  const [values, setValues] = useState<Record<Field, string>>({
    first_name: profile.first_name,
    last_name: profile.last_name,
    email: profile.email,
  });
  const [saved, setSaved] = useState(false);
  const save = useAction(async () => {
    const updated = await updateProfile(fetch, {
      first_name: values.first_name.trim(),
      last_name: values.last_name.trim(),
      email: values.email.trim(),
    });
    // The header and the home page read the account: let them see the new names.
    await refreshUser().catch(() => undefined);
    return updated;
  });
  const errors = formErrors(save.error, FIELDS);
  const field = (name: Field) => ({
    name,
    value: values[name],
    onChange: (event: { target: { value: string } }) => {
      setSaved(false);
      setValues((current) => ({ ...current, [name]: event.target.value }));
    },
    error: errors.fields[name],
  });
  const submit = async () => {
    setSaved(false);
    const result = await save.run();
    if (result.ok) {
      setValues({
        first_name: result.value.first_name,
        last_name: result.value.last_name,
        email: result.value.email,
      });
      setSaved(true);
    }
  };

  return (
    <Form onSubmit={() => void submit()}>
      {errors.form && <Alert tone="error">{errors.form}</Alert>}
      {saved && <Alert tone="success">Profile saved.</Alert>}
      <FormRow>
        <TextField label="First name" autoComplete="given-name" {...field('first_name')} />
        <TextField label="Last name" autoComplete="family-name" {...field('last_name')} />
      </FormRow>
      <TextField
        label="Email"
        type="email"
        autoComplete="email"
        spellCheck={false}
        hint="Shown on your home page (your login email when empty). It does not change how you log in."
        {...field('email')}
      />
      <FormActions>
        <Button type="submit" loading={save.pending}>
          Save profile
        </Button>
      </FormActions>
    </Form>
  );
}
