import { useAuth } from '@gatehouse/client/react';
import { Alert } from '../../../components/ui/alert';
import { ButtonLink } from '../../../components/ui/button';
import { Card } from '../../../components/ui/card';
import { Spinner } from '../../../components/ui/spinner';
import { errorMessage } from '../../../lib/form-errors';
import { fullName } from '../../../lib/format';
import { useResource } from '../../../lib/use-resource';
import { getProfile } from '../api/profile';
import './profile.css';

/** Tutorial A's home page data: the signed-in user's private profile, which no one else can read. */
export function ProfileCard() {
  const { fetch, user } = useAuth();
  const { state, reload } = useResource('profile', (signal) => getProfile(fetch, signal));

  return (
    <Card
      title="Your profile"
      description="Private to you: only your own session can read it."
      actions={
        <ButtonLink to="/account" size="sm">
          Edit profile
        </ButtonLink>
      }
    >
      {state.status === 'loading' && (
        <p className="profile-loading" role="status">
          <Spinner size="sm" /> Loading your profile…
        </p>
      )}
      {state.status === 'error' && (
        <Alert tone="error" title="Your profile could not be loaded.">
          <p>{errorMessage(state.error)}</p>
          <button type="button" className="profile-retry" onClick={reload}>
            Try again
          </button>
        </Alert>
      )}
      {state.status === 'ready' && (
        <div className="profile-lines">
          <p className="profile-line">
            <span className="profile-line__label">Name:</span>{' '}
            {fullName(state.data) ?? <span className="profile-line__empty">not set</span>}
          </p>
          <p className="profile-line">
            <span className="profile-line__label">Email:</span>{' '}
            {/* The profile's contact email; without one, the email the account logs in with. */}
            {state.data.email || user?.email || <span className="profile-line__empty">not set</span>}
          </p>
        </div>
      )}
    </Card>
  );
}
