import { useState } from 'react';
import { useAuth } from '@gatehouse/client/react';
import type { AdminUserResponse } from '@gatehouse/contract';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/card';
import { DetailsList } from '../../../components/ui/details-list';
import { Form, FormActions } from '../../../components/ui/form';
import { errorMessage } from '../../../lib/form-errors';
import { ROLES_MANAGE, useViewer, useRolesClient } from '../../../lib/permissions';
import { useAction } from '../../../lib/use-action';
import { useResource, type ResourceState } from '../../../lib/use-resource';
import { NamePicker } from './role-picker';
import { PermissionList } from './roles-manager';
import './admin.css';

export interface UserRolesCardProps {
  user: AdminUserResponse;
  /** The user's roles or groups changed: read the user again (the effective permissions follow). */
  onChanged: () => void;
}

/**
 * A user's roles (direct), groups and effective permissions; with `roles:manage`, their assignment. Not
 * shown by a server without roles (the detail then has no `roles`).
 */
export function UserRolesCard({ user, onChanged }: UserRolesCardProps) {
  const viewer = useViewer();
  const self = useAuth().user?.id === user.id;
  if (user.roles === undefined) return null;
  const none = <span className="admin-muted">None</span>;
  return (
    <Card
      title="Roles and permissions"
      description="Roles held directly and through groups; a superuser holds every permission."
    >
      <div className="admin-stack">
        <DetailsList
          items={[
            { term: 'Roles', value: user.roles.length ? <PermissionList permissions={user.roles} /> : none },
            {
              term: 'Groups',
              value: user.groups?.length ? <PermissionList permissions={user.groups} /> : none,
            },
            {
              term: 'Effective permissions',
              value: user.is_superuser ? (
                'Every permission (superuser)'
              ) : (
                <PermissionList permissions={user.permissions ?? []} />
              ),
            },
          ]}
        />
        {viewer.can(ROLES_MANAGE) &&
          (self ? (
            <p className="admin-muted">Your own roles and groups are for another administrator to change.</p>
          ) : (
            <Assignments user={user} onChanged={onChanged} />
          ))}
      </div>
    </Card>
  );
}

function Assignments({ user, onChanged }: UserRolesCardProps) {
  const client = useRolesClient();
  const roles = useResource('roles', () => client.listRoles());
  const groups = useResource('groups', () => client.listGroups());
  const [pickedRoles, setPickedRoles] = useState<string[]>(user.roles ?? []);
  const [pickedGroups, setPickedGroups] = useState<string[]>(user.groups ?? []);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const save = useAction(async (what: 'roles' | 'groups') => {
    setNotice(undefined);
    if (what === 'roles') await client.setUserRoles(user.public_id, pickedRoles);
    else await client.setUserGroups(user.public_id, pickedGroups);
    setNotice(what === 'roles' ? 'Roles saved.' : 'Groups saved.');
    onChanged();
  });
  const names = (state: ResourceState<readonly { name: string }[]>, current: readonly string[]) => [
    ...new Set([...(state.status === 'ready' ? state.data.map((item) => item.name) : []), ...current]),
  ];
  const failure = save.error ?? (roles.state.status === 'error' ? roles.state.error : undefined);

  return (
    <>
      {failure !== undefined && <Alert tone="error">{errorMessage(failure)}</Alert>}
      {notice && <Alert tone="success">{notice}</Alert>}
      <Form aria-label="Roles of the user" onSubmit={() => void save.run('roles')}>
        <NamePicker
          legend="Direct roles"
          names={names(roles.state, user.roles ?? [])}
          value={pickedRoles}
          onChange={setPickedRoles}
          disabled={save.pending}
          empty="No roles yet: create one on the Roles page."
        />
        <FormActions>
          <Button type="submit" variant="secondary" loading={save.pending}>
            Save roles
          </Button>
        </FormActions>
      </Form>
      <Form aria-label="Groups of the user" onSubmit={() => void save.run('groups')}>
        <NamePicker
          legend="Groups"
          names={names(groups.state, user.groups ?? [])}
          value={pickedGroups}
          onChange={setPickedGroups}
          disabled={save.pending}
          empty="No groups yet: create one on the Groups page."
        />
        <FormActions>
          <Button type="submit" variant="secondary" loading={save.pending}>
            Save groups
          </Button>
        </FormActions>
      </Form>
    </>
  );
}
