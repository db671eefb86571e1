import { useState } from 'react';
import { Link } from 'react-router';
import { GatehouseError } from '@gatehouse/client';
import { useAuth } from '@gatehouse/client/react';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { Form } from '../../../components/ui/form';
import { TextField } from '../../../components/ui/text-field';
import { CodeField } from './code-field';
import { formErrors } from '../../../lib/form-errors';
import { useAction } from '../../../lib/use-action';
import './mfa.css';

export interface SecondStepFormProps {
  mfaToken: string;
  /** The factors that can answer: `otp` (the app, or a recovery code), `hwk` (a passkey). */
  methods: readonly string[];
}

const FIELDS = ['code', 'recovery_code'] as const;

/** The login's second step. Answering right signs in; the guest-only route then moves on by itself. */
export function SecondStepForm({ mfaToken, methods }: SecondStepFormProps) {
  const { client } = useAuth();
  const otp = methods.includes('otp');
  const passkey = methods.includes('hwk');
  const [recovery, setRecovery] = useState(false);
  const [code, setCode] = useState('');
  const verify = useAction(() =>
    recovery
      ? client.completeSecondFactor({ mfaToken, recoveryCode: code.trim() })
      : client.completeSecondFactor({ mfaToken, code: code.replace(/\s+/g, '') }),
  );
  const withPasskey = useAction(() => client.passkeySecondStep(mfaToken));
  const error = verify.error ?? withPasskey.error;
  const expired = error instanceof GatehouseError && error.code === 'invalid_mfa_token';
  const errors = formErrors(expired ? undefined : error, FIELDS);
  const busy = verify.pending || withPasskey.pending;

  const toggle = () => {
    setRecovery((value) => !value);
    setCode('');
    verify.reset();
  };

  return (
    <div className="mfa-stack">
      {expired && (
        <Alert tone="error" title="This sign-in has expired.">
          <Link to="/login">Log in again</Link> to continue.
        </Alert>
      )}
      {errors.form && <Alert tone="error">{errors.form}</Alert>}
      {otp && (
        <Form onSubmit={() => void verify.run()} aria-label="Second step">
          {recovery ? (
            <TextField
              key="recovery"
              label="Recovery code"
              name="recovery_code"
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              required
              autoFocus
              value={code}
              onChange={(event) => setCode(event.target.value)}
              error={errors.fields.recovery_code}
              hint="One of the codes you saved when you set up two-step verification. Each works once."
            />
          ) : (
            <CodeField
              key="code"
              autoFocus
              value={code}
              onChange={(event) => setCode(event.target.value)}
              error={errors.fields.code}
              hint="The 6-digit code your authenticator app shows now."
            />
          )}
          <Button type="submit" block loading={verify.pending} disabled={busy}>
            Verify
          </Button>
          <Button variant="ghost" size="sm" onClick={toggle} disabled={busy}>
            {recovery ? 'Use your authenticator app' : 'Use a recovery code'}
          </Button>
        </Form>
      )}
      {passkey && (
        <Button
          variant={otp ? 'secondary' : 'primary'}
          block
          loading={withPasskey.pending}
          disabled={busy}
          onClick={() => void withPasskey.run()}
        >
          Use a passkey
        </Button>
      )}
    </div>
  );
}
