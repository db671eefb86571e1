import { useState, type ReactNode } from 'react';
import { useAuth } from '@gatehouse/client/react';
import type { AdminUserResponse, AdminUserUpdateRequest, SessionResponse } from '@gatehouse/contract';
import { SessionsTable } from '../../../components/sessions-table';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/card';
import { Checkbox } from '../../../components/ui/checkbox';
import { DetailsList } from '../../../components/ui/details-list';
import { PageHeader } from '../../../components/ui/page-header';
import { PageSpinner } from '../../../components/ui/spinner';
import { errorMessage } from '../../../lib/form-errors';
import { formatDateTime, fullName } from '../../../lib/format';
import {
  SESSIONS_REVOKE,
  USERS_DEACTIVATE,
  USERS_DELETE,
  USERS_UPDATE,
  useViewer,
} from '../../../lib/permissions';
import { useAction } from '../../../lib/use-action';
import { useResource, type Resource } from '../../../lib/use-resource';
import { deleteUser, getUser, revokeUserSession, updateUser } from '../api/users';
import { UserBadges } from './user-badges';
import { UserFactorsCard } from './user-factors-card';
import { UserIdentitiesCard } from './user-identities-card';
import { UserRolesCard } from './user-roles-card';
import './admin.css';

export interface UserDetailProps {
  publicId: string;
  /** Rendered above the title: the way back to the list. */
  backLink: ReactNode;
  onDeleted: (username: string) => void;
}

/**
 * One account for an administrator: its details, activation and flags, its sessions, factors, roles and
 * deletion; each action only for a viewer whose permissions allow it.
 */
export function UserDetail({ publicId, backLink, onDeleted }: UserDetailProps) {
  const { fetch } = useAuth();
  const viewer = useViewer();
  const resource = useResource(`user-${publicId}`, (signal) => getUser(fetch, publicId, signal));
  const { state } = resource;

  if (state.status === 'loading') return <PageSpinner label="Loading the user…" />;
  if (state.status === 'error') {
    const missing = (state.error as { status?: unknown }).status === 404;
    return (
      <>
        <PageHeader eyebrow={backLink} title={missing ? 'User not found' : 'The user could not be loaded'} />
        <Alert tone="error">
          {missing ? 'No user has this id. It may have been deleted.' : errorMessage(state.error)}
        </Alert>
      </>
    );
  }
  const user = state.data;
  return (
    <>
      <PageHeader eyebrow={backLink} title={user.username} description={<UserBadges user={user} />} />
      <div className="admin-grid">
        <Card title="Account">
          <DetailsList
            items={[
              { term: 'Username', value: user.username },
              { term: 'Email', value: user.email ?? '—' },
              { term: 'Name', value: fullName(user) ?? '—' },
              { term: 'Joined', value: formatDateTime(user.created) },
              {
                term: 'Last login',
                value: user.last_login ? formatDateTime(user.last_login) : 'Never recorded',
              },
              { term: 'Updated', value: formatDateTime(user.updated) },
              { term: 'Public id', value: <code>{user.public_id}</code> },
            ]}
          />
        </Card>
        <AccessCard resource={resource} user={user} />
        <UserSessionsCard resource={resource} user={user} />
        <UserFactorsCard user={user} />
        <UserRolesCard user={user} onChanged={resource.reload} />
        <UserIdentitiesCard user={user} />
        {viewer.can(USERS_DELETE) && <DeleteUserCard user={user} onDeleted={onDeleted} />}
      </div>
    </>
  );
}

interface SectionProps {
  user: AdminUserResponse;
  resource: Resource<AdminUserResponse>;
}

function useIsSelf(user: AdminUserResponse): boolean {
  return useAuth().user?.id === user.id;
}

const SELF_HINT =
  'This is your own account: you cannot deactivate it, remove your superuser status or delete it.';

function AccessCard({ user, resource }: SectionProps) {
  const { fetch } = useAuth();
  const viewer = useViewer();
  const self = useIsSelf(user);
  const mayActivate = viewer.can(USERS_DEACTIVATE) || viewer.can(USERS_UPDATE);
  const mayFlagStaff = viewer.can(USERS_UPDATE);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const update = useAction(async (changes: AdminUserUpdateRequest) => {
    const updated = await updateUser(fetch, user.id, changes);
    resource.setData((current) => ({ ...current, ...updated }));
    return updated;
  });

  // Shown at once, as the user clicked it (a checkbox must not spring back while the request runs);
  // dropped when the server has answered: its answer, or the old value after a refusal.
  const [optimistic, setOptimistic] = useState<AdminUserUpdateRequest>({});
  const shown = { ...user, ...optimistic };

  const change = async (changes: AdminUserUpdateRequest, done: string) => {
    setNotice(undefined);
    setOptimistic(changes);
    const result = await update.run(changes);
    setOptimistic({});
    if (!result.ok) return;
    setNotice(done);
    // Deactivation ends every session: show the list as the server has it now.
    if (changes.is_active === false) resource.reload();
  };

  return (
    <Card title="Access" description="A deactivated account cannot log in, and its sessions end at once.">
      <div className="admin-stack">
        {update.error !== undefined && <Alert tone="error">{errorMessage(update.error)}</Alert>}
        {notice && <Alert tone="success">{notice}</Alert>}
        {self && <p className="admin-muted">{SELF_HINT}</p>}
        <div className="admin-row">
          <p>
            This account is <strong>{user.is_active ? 'active' : 'inactive'}</strong>.
          </p>
          {!mayActivate ? null : user.is_active ? (
            <Button
              variant="danger"
              disabled={self || update.pending}
              onClick={() =>
                void change({ is_active: false }, `${user.username} is deactivated; every session has ended.`)
              }
            >
              Deactivate
            </Button>
          ) : (
            <Button
              variant="secondary"
              disabled={update.pending}
              onClick={() => void change({ is_active: true }, `${user.username} can log in again.`)}
            >
              Activate
            </Button>
          )}
        </div>
        {(mayFlagStaff || viewer.isSuperuser) && (
          <fieldset className="admin-fieldset">
            <legend>Flags</legend>
            {mayFlagStaff && (
              <Checkbox
                label="Staff"
                hint="Marks a member of staff, for the apps that rely on Gatehouse."
                checked={shown.is_staff}
                disabled={update.pending}
                onChange={(event) => {
                  const value = event.target.checked;
                  void change({ is_staff: value }, value ? 'Staff status granted.' : 'Staff status removed.');
                }}
              />
            )}
            {/* Only superusers make superusers. */}
            {viewer.isSuperuser && (
              <Checkbox
                label="Superuser"
                hint="Every permission, and making other superusers."
                checked={shown.is_superuser}
                disabled={update.pending || (self && user.is_superuser)}
                onChange={(event) => {
                  const value = event.target.checked;
                  void change(
                    { is_superuser: value },
                    value ? 'Superuser status granted.' : 'Superuser status removed.',
                  );
                }}
              />
            )}
          </fieldset>
        )}
      </div>
    </Card>
  );
}

function UserSessionsCard({ user, resource }: SectionProps) {
  const { fetch } = useAuth();
  const mayRevoke = useViewer().can(SESSIONS_REVOKE);
  const [revoking, setRevoking] = useState<string | undefined>(undefined);
  const revoke = useAction(async (session: SessionResponse) => {
    setRevoking(session.id);
    try {
      await revokeUserSession(fetch, user.id, session.id);
      resource.setData((current) => ({
        ...current,
        sessions: current.sessions.filter((item) => item.id !== session.id),
      }));
    } finally {
      setRevoking(undefined);
    }
  });
  return (
    <Card title="Sessions" description="Where this account is signed in now.">
      <div className="admin-stack">
        {revoke.error !== undefined && <Alert tone="error">{errorMessage(revoke.error)}</Alert>}
        <SessionsTable
          caption={`Open sessions of ${user.username}`}
          sessions={user.sessions}
          revoking={revoking}
          onRevoke={mayRevoke ? (session) => void revoke.run(session) : undefined}
        />
      </div>
    </Card>
  );
}

function DeleteUserCard({
  user,
  onDeleted,
}: {
  user: AdminUserResponse;
  onDeleted: (username: string) => void;
}) {
  const { fetch } = useAuth();
  const self = useIsSelf(user);
  const [confirming, setConfirming] = useState(false);
  const remove = useAction(() => deleteUser(fetch, user.id));

  const confirm = async () => {
    if ((await remove.run()).ok) onDeleted(user.username);
  };

  return (
    <Card
      title="Delete user"
      tone="danger"
      description="Deletes the account and ends its sessions. This cannot be undone."
    >
      <div className="admin-stack">
        {remove.error !== undefined && <Alert tone="error">{errorMessage(remove.error)}</Alert>}
        {self && <p className="admin-muted">{SELF_HINT}</p>}
        {confirming ? (
          <div className="admin-confirm" role="group" aria-label="Confirm deletion">
            <p>
              Delete <strong>{user.username}</strong> for good?
            </p>
            <div className="admin-row">
              <Button variant="danger" loading={remove.pending} onClick={() => void confirm()}>
                Yes, delete {user.username}
              </Button>
              <Button variant="ghost" disabled={remove.pending} onClick={() => setConfirming(false)}>
                Cancel
              </Button>
            </div>
          </div>
        ) : (
          <div>
            <Button variant="danger" disabled={self} onClick={() => setConfirming(true)}>
              Delete user
            </Button>
          </div>
        )}
      </div>
    </Card>
  );
}
