import { useState } from 'react';
import { Link } from 'react-router';
import { GatehouseError } from '@gatehouse/client';
import { useAuth } from '@gatehouse/client/react';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { Form } from '../../../components/ui/form';
import { PageSpinner } from '../../../components/ui/spinner';
import { CodeField } from './code-field';
import { errorMessage, formErrors } from '../../../lib/form-errors';
import { useAction } from '../../../lib/use-action';
import { useResource } from '../../../lib/use-resource';
import { RecoveryCodes } from './recovery-codes';
import { TotpKey } from './totp-key';
import './mfa.css';

const FIELDS = ['code'] as const;

const isExpired = (error: unknown) => error instanceof GatehouseError && error.code === 'invalid_mfa_token';

function Expired() {
  return (
    <Alert tone="error" title="This sign-in has expired.">
      <Link to="/login">Log in again</Link> to continue.
    </Alert>
  );
}

export interface EnrollmentProps {
  mfaToken: string;
  /** Signed in, and the recovery codes were shown: go on. */
  onDone: () => void;
}

/**
 * The server's policy wants a second factor before signing in: set up the authenticator app (its key,
 * then a code from it), which signs in; the recovery codes are shown once before going on.
 */
export function Enrollment({ mfaToken, onDone }: EnrollmentProps) {
  const { client } = useAuth();
  const key = useResource(`enroll-${mfaToken}`, () => client.startTotpEnrollment(mfaToken));
  const [code, setCode] = useState('');
  const confirm = useAction(() => client.confirmTotpEnrollment(mfaToken, code.replace(/\s+/g, '')));
  const [codes, setCodes] = useState<string[] | undefined>(undefined);
  const errors = formErrors(isExpired(confirm.error) ? undefined : confirm.error, FIELDS);

  if (codes) {
    return (
      <div className="mfa-stack">
        <RecoveryCodes codes={codes} />
        <Button block onClick={onDone}>
          Continue
        </Button>
      </div>
    );
  }
  if (key.state.status === 'loading') return <PageSpinner label="Preparing your key…" />;
  if (key.state.status === 'error') {
    return isExpired(key.state.error) ? (
      <Expired />
    ) : (
      <Alert tone="error">{errorMessage(key.state.error)}</Alert>
    );
  }

  const submit = async () => {
    const outcome = await confirm.run();
    if (outcome.ok) setCodes(outcome.value.recoveryCodes);
  };

  return (
    <div className="mfa-stack">
      <TotpKey setup={key.state.data} />
      {isExpired(confirm.error) && <Expired />}
      {errors.form && <Alert tone="error">{errors.form}</Alert>}
      <Form onSubmit={() => void submit()} aria-label="Confirm the authenticator app">
        <CodeField
          value={code}
          onChange={(event) => setCode(event.target.value)}
          error={errors.fields.code}
          hint="The 6-digit code the app shows once the key is added."
        />
        <Button type="submit" block loading={confirm.pending}>
          Turn on and continue
        </Button>
      </Form>
    </div>
  );
}
