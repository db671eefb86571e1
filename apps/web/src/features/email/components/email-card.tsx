import { useState } from 'react';
import { GatehouseError } from '@gatehouse/client';
import { useAuth } from '@gatehouse/client/react';
import { Alert } from '../../../components/ui/alert';
import { Badge } from '../../../components/ui/badge';
import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/card';
import { Form, FormActions } from '../../../components/ui/form';
import { HiddenUsername } from '../../../components/ui/hidden-username';
import { TextField } from '../../../components/ui/text-field';
import { formErrors } from '../../../lib/form-errors';
import { useAction } from '../../../lib/use-action';
import { ResendVerification } from './resend-verification';
import './email.css';

const FIELDS = ['email', 'password'] as const;

export interface EmailCardProps {
  /** The sign-in is too old for this change: the caller signs the user out and back in. */
  onReauthenticate: () => void;
}

/** The account's address: whether it is verified (with a new link if not), and the form to change it. */
export function EmailCard({ onReauthenticate }: EmailCardProps) {
  const { user } = useAuth();
  const address = user?.email ?? null;
  return (
    <Card
      title="Email address"
      description="Password reset links and security notices go to this address."
      actions={
        address !== null &&
        (user?.email_verified ? (
          <Badge tone="success">Verified</Badge>
        ) : (
          <Badge tone="warning">Not verified</Badge>
        ))
      }
    >
      <div className="email-card">
        <p className="email-card__address">{address ?? 'No email address yet.'}</p>
        {address !== null && !user?.email_verified && (
          <div className="email-card__unverified">
            <p>Follow the link we sent to this address to verify it. Lost the mail?</p>
            <ResendVerification />
          </div>
        )}
        <ChangeEmailForm hasAddress={address !== null} onReauthenticate={onReauthenticate} />
      </div>
    </Card>
  );
}

function ChangeEmailForm({ hasAddress, onReauthenticate }: EmailCardProps & { hasAddress: boolean }) {
  const { client, user } = useAuth();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [sent, setSent] = useState<{ detail: string; to: string } | undefined>(undefined);
  const change = useAction(() => client.changeEmail(email.trim(), password));
  const reauthenticate =
    change.error instanceof GatehouseError && change.error.code === 'reauthentication_required';
  const errors = formErrors(reauthenticate ? undefined : change.error, FIELDS);

  const submit = async () => {
    setSent(undefined);
    const to = email.trim();
    const outcome = await change.run();
    if (outcome.ok) {
      setEmail('');
      setPassword('');
      setSent({ detail: outcome.value.detail, to });
    }
  };

  return (
    <Form
      onSubmit={() => void submit()}
      aria-label={hasAddress ? 'Change email address' : 'Add an email address'}
    >
      <h3 className="email-card__heading">{hasAddress ? 'Change address' : 'Add an address'}</h3>
      {errors.form && <Alert tone="error">{errors.form}</Alert>}
      {reauthenticate && (
        <Alert tone="warning" title="Sign in again to change your email address.">
          <p>For your security, this change needs a recent sign-in.</p>
          <Button size="sm" variant="secondary" onClick={onReauthenticate}>
            Sign in again
          </Button>
        </Alert>
      )}
      {sent && (
        <Alert tone="success" title={sent.detail}>
          Follow the link sent to {sent.to} to finish. Until then, your address stays as it is.
        </Alert>
      )}
      <HiddenUsername username={user?.username} />
      <TextField
        label="New email"
        name="email"
        type="email"
        autoComplete="email"
        spellCheck={false}
        required
        value={email}
        onChange={(event) => setEmail(event.target.value)}
        error={errors.fields.email}
      />
      <TextField
        label="Current password"
        name="password"
        type="password"
        autoComplete="current-password"
        required
        value={password}
        onChange={(event) => setPassword(event.target.value)}
        error={errors.fields.password}
      />
      <FormActions>
        <Button type="submit" loading={change.pending}>
          Send a confirmation link
        </Button>
      </FormActions>
    </Form>
  );
}
