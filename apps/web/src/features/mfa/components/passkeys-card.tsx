import { useState } from 'react';
import type { Passkey } from '@gatehouse/client';
import { useAuth } from '@gatehouse/client/react';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/card';
import { Form, FormActions } from '../../../components/ui/form';
import { Spinner } from '../../../components/ui/spinner';
import { TextField } from '../../../components/ui/text-field';
import { errorMessage, formErrors } from '../../../lib/form-errors';
import { formatDateTime } from '../../../lib/format';
import { useAction } from '../../../lib/use-action';
import { useResource } from '../../../lib/use-resource';
import { needsReauthentication, ReauthenticateAlert } from './reauthenticate-alert';
import './mfa.css';

const FIELDS = ['name'] as const;

export interface PasskeysCardProps {
  /** A passkey was added or removed: the summary of factors reloads. */
  onChanged: () => void;
  onReauthenticate: () => void;
}

/** The user's passkeys: listed, added (named), renamed and removed. */
export function PasskeysCard({ onChanged, onReauthenticate }: PasskeysCardProps) {
  const { client } = useAuth();
  const list = useResource('passkeys', () => client.listPasskeys());
  const [adding, setAdding] = useState(false);
  const [name, setName] = useState('');
  const add = useAction(() => client.addPasskey(name.trim()));
  const reauthenticate = needsReauthentication(add.error);
  const errors = formErrors(reauthenticate ? undefined : add.error, FIELDS);
  const supported = typeof window !== 'undefined' && 'PublicKeyCredential' in window;

  const changed = () => {
    list.reload();
    onChanged();
  };
  const submit = async () => {
    if ((await add.run()).ok) {
      setAdding(false);
      setName('');
      changed();
    }
  };

  return (
    <Card
      title="Passkeys"
      description="Sign in with your fingerprint, face or device PIN instead of a password and code."
    >
      <div className="mfa-stack">
        {reauthenticate && <ReauthenticateAlert onReauthenticate={onReauthenticate} />}
        {list.state.status === 'loading' && <Spinner />}
        {list.state.status === 'error' && <Alert tone="error">{errorMessage(list.state.error)}</Alert>}
        {list.state.status === 'ready' &&
          (list.state.data.length === 0 ? (
            <p className="mfa-muted">No passkeys yet.</p>
          ) : (
            <ul className="mfa-passkeys">
              {list.state.data.map((passkey) => (
                <PasskeyItem
                  key={passkey.id}
                  passkey={passkey}
                  onChanged={changed}
                  onReauthenticate={onReauthenticate}
                />
              ))}
            </ul>
          ))}
        {adding ? (
          <Form onSubmit={() => void submit()} aria-label="Add a passkey">
            {errors.form && <Alert tone="error">{errors.form}</Alert>}
            <TextField
              label="Passkey name"
              name="name"
              required
              maxLength={100}
              autoFocus
              value={name}
              onChange={(event) => setName(event.target.value)}
              error={errors.fields.name}
              hint="To tell your passkeys apart, e.g. “Work laptop”."
            />
            <FormActions>
              <Button type="submit" loading={add.pending}>
                Create passkey
              </Button>
              <Button variant="ghost" disabled={add.pending} onClick={() => setAdding(false)}>
                Cancel
              </Button>
            </FormActions>
          </Form>
        ) : supported ? (
          <div>
            <Button variant="secondary" onClick={() => setAdding(true)}>
              Add a passkey
            </Button>
          </div>
        ) : (
          <p className="mfa-muted">This browser cannot create passkeys.</p>
        )}
      </div>
    </Card>
  );
}

function PasskeyItem({
  passkey,
  onChanged,
  onReauthenticate,
}: {
  passkey: Passkey;
  onChanged: () => void;
  onReauthenticate: () => void;
}) {
  const { client } = useAuth();
  const [mode, setMode] = useState<'view' | 'rename' | 'remove'>('view');
  const [name, setName] = useState(passkey.name);
  const rename = useAction(() => client.renamePasskey(passkey.id, name.trim()));
  const remove = useAction(() => client.removePasskey(passkey.id));
  const error = rename.error ?? remove.error;
  const reauthenticate = needsReauthentication(error);
  const errors = formErrors(reauthenticate ? undefined : error, FIELDS);

  const save = async () => {
    if ((await rename.run()).ok) {
      setMode('view');
      onChanged();
    }
  };
  const confirmRemove = async () => {
    if ((await remove.run()).ok) onChanged();
  };

  return (
    <li className="mfa-passkeys__item" aria-label={passkey.name}>
      {reauthenticate && <ReauthenticateAlert onReauthenticate={onReauthenticate} />}
      {errors.form && <Alert tone="error">{errors.form}</Alert>}
      {mode === 'rename' ? (
        <Form onSubmit={() => void save()} aria-label={`Rename ${passkey.name}`}>
          <TextField
            label="New name"
            name="name"
            required
            maxLength={100}
            autoFocus
            value={name}
            onChange={(event) => setName(event.target.value)}
            error={errors.fields.name}
          />
          <FormActions>
            <Button type="submit" size="sm" loading={rename.pending}>
              Save
            </Button>
            <Button variant="ghost" size="sm" onClick={() => setMode('view')}>
              Cancel
            </Button>
          </FormActions>
        </Form>
      ) : (
        <>
          <div>
            <strong>{passkey.name}</strong>
            <p className="mfa-muted">
              Added {formatDateTime(passkey.created_at)} ·{' '}
              {passkey.last_used_at ? `last used ${formatDateTime(passkey.last_used_at)}` : 'never used'}
            </p>
          </div>
          {mode === 'remove' ? (
            <div className="mfa-row" role="group" aria-label="Confirm removal">
              <span>Remove this passkey?</span>
              <Button
                size="sm"
                variant="danger"
                loading={remove.pending}
                onClick={() => void confirmRemove()}
              >
                Yes, remove it
              </Button>
              <Button size="sm" variant="ghost" disabled={remove.pending} onClick={() => setMode('view')}>
                Cancel
              </Button>
            </div>
          ) : (
            <div className="mfa-row">
              <Button size="sm" variant="secondary" onClick={() => setMode('rename')}>
                Rename
              </Button>
              <Button size="sm" variant="danger" onClick={() => setMode('remove')}>
                Remove
              </Button>
            </div>
          )}
        </>
      )}
    </li>
  );
}
