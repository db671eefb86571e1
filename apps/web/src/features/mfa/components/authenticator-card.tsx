import { useState } from 'react';
import type { SecondFactorSummary, TotpSetup } from '@gatehouse/client';
import { useAuth } from '@gatehouse/client/react';
import { Alert } from '../../../components/ui/alert';
import { Badge } from '../../../components/ui/badge';
import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/card';
import { Form, FormActions } from '../../../components/ui/form';
import { Spinner } from '../../../components/ui/spinner';
import { CodeField } from './code-field';
import { errorMessage, formErrors } from '../../../lib/form-errors';
import { useAction } from '../../../lib/use-action';
import type { Resource } from '../../../lib/use-resource';
import { needsReauthentication, ReauthenticateAlert } from './reauthenticate-alert';
import { RecoveryCodes } from './recovery-codes';
import { TotpKey } from './totp-key';
import './mfa.css';

const FIELDS = ['code'] as const;

export interface AuthenticatorCardProps {
  /** The user's factors (shared with the passkeys card). */
  factors: Resource<SecondFactorSummary>;
  /** The sign-in is too old for this change: the caller signs the user out and back in. */
  onReauthenticate: () => void;
}

type Step = { name: 'idle' } | { name: 'setting-up'; setup: TotpSetup } | { name: 'codes'; codes: string[] };

/** The authenticator app: set it up (QR code, key, a code to confirm), its recovery codes, turning it off. */
export function AuthenticatorCard({ factors, onReauthenticate }: AuthenticatorCardProps) {
  const { client } = useAuth();
  const [step, setStep] = useState<Step>({ name: 'idle' });
  const [code, setCode] = useState('');
  const start = useAction(() => client.startTotp());
  const confirm = useAction(() => client.confirmTotp(code.replace(/\s+/g, '')));
  const regenerate = useAction(() => client.regenerateRecoveryCodes());
  const disable = useAction(() => client.disableTotp(code.replace(/\s+/g, '')));
  const error = start.error ?? confirm.error ?? regenerate.error ?? disable.error;
  const reauthenticate = needsReauthentication(error);
  const errors = formErrors(reauthenticate ? undefined : error, FIELDS);
  const state = factors.state;
  const summary = state.status === 'ready' ? state.data : undefined;
  const on = summary?.totp === true;

  const begin = async () => {
    const outcome = await start.run();
    if (outcome.ok) {
      setCode('');
      setStep({ name: 'setting-up', setup: outcome.value });
    }
  };
  const finish = async () => {
    const outcome = await confirm.run();
    if (outcome.ok) {
      setCode('');
      setStep({ name: 'codes', codes: outcome.value });
      factors.reload();
    }
  };
  const renew = async () => {
    const outcome = await regenerate.run();
    if (outcome.ok) {
      setStep({ name: 'codes', codes: outcome.value });
      factors.reload();
    }
  };
  const turnOff = async () => {
    if ((await disable.run()).ok) {
      setCode('');
      factors.reload();
    }
  };

  return (
    <Card
      title="Authenticator app"
      description="A code from an app on your phone, asked for after your password."
      actions={summary && (on ? <Badge tone="success">On</Badge> : <Badge>Off</Badge>)}
    >
      <div className="mfa-stack">
        {reauthenticate && <ReauthenticateAlert onReauthenticate={onReauthenticate} />}
        {errors.form && <Alert tone="error">{errors.form}</Alert>}
        {state.status === 'loading' && <Spinner />}
        {state.status === 'error' && <Alert tone="error">{errorMessage(state.error)}</Alert>}
        {step.name === 'codes' && (
          <>
            <RecoveryCodes codes={step.codes} />
            <div>
              <Button variant="secondary" onClick={() => setStep({ name: 'idle' })}>
                I have saved them
              </Button>
            </div>
          </>
        )}
        {step.name === 'setting-up' && (
          <>
            <TotpKey setup={step.setup} />
            <Form onSubmit={() => void finish()} aria-label="Confirm the authenticator app">
              <CodeField
                value={code}
                onChange={(event) => setCode(event.target.value)}
                error={errors.fields.code}
                hint="The 6-digit code the app shows once the key is added."
              />
              <FormActions>
                <Button type="submit" loading={confirm.pending}>
                  Turn on
                </Button>
                <Button variant="ghost" onClick={() => setStep({ name: 'idle' })}>
                  Cancel
                </Button>
              </FormActions>
            </Form>
          </>
        )}
        {step.name === 'idle' && summary && !on && (
          <div>
            <Button loading={start.pending} onClick={() => void begin()}>
              Set up the authenticator app
            </Button>
          </div>
        )}
        {step.name === 'idle' && summary && on && (
          <>
            <div className="mfa-row">
              <p className="mfa-muted">
                Recovery codes left: <strong>{summary.recovery_codes_left}</strong>
              </p>
              <Button size="sm" variant="secondary" loading={regenerate.pending} onClick={() => void renew()}>
                Regenerate recovery codes
              </Button>
            </div>
            <Form onSubmit={() => void turnOff()} aria-label="Turn off the authenticator app">
              <CodeField
                value={code}
                onChange={(event) => setCode(event.target.value)}
                error={errors.fields.code}
                hint="To turn the app off, enter a code from it."
              />
              <FormActions>
                <Button type="submit" variant="danger" loading={disable.pending}>
                  Turn off
                </Button>
              </FormActions>
            </Form>
          </>
        )}
      </div>
    </Card>
  );
}
