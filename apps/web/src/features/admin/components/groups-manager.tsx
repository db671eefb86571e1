import { useState } from 'react';
import { useAuth } from '@gatehouse/client/react';
import type { GroupDetailResponse, GroupResponse } from '@gatehouse/contract';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/card';
import { Form, FormActions } from '../../../components/ui/form';
import { PageSpinner, Spinner } from '../../../components/ui/spinner';
import { Table, type Column } from '../../../components/ui/table';
import { TextField } from '../../../components/ui/text-field';
import { errorMessage, formErrors } from '../../../lib/form-errors';
import { useRolesClient } from '../../../lib/permissions';
import { useAction } from '../../../lib/use-action';
import { useResource } from '../../../lib/use-resource';
import { listUsers } from '../api/users';
import { NamePicker } from './role-picker';
import { PermissionList } from './roles-manager';
import './admin.css';

/** Every group, a form to create one, and per group: its roles and its members. */
export function GroupsManager() {
  const client = useRolesClient();
  const groups = useResource('groups', () => client.listGroups());
  const roles = useResource('roles', () => client.listRoles());
  const [editing, setEditing] = useState<string | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const done = (message: string) => {
    setNotice(message);
    setEditing(undefined);
    groups.reload();
  };
  const roleNames = roles.state.status === 'ready' ? roles.state.data.map((role) => role.name) : [];
  const { state } = groups;

  const columns: Column<GroupResponse>[] = [
    {
      header: 'Group',
      cell: (group) => (
        <span className="audit-action">
          <strong>{group.name}</strong>
          {group.description && <span className="admin-muted">{group.description}</span>}
        </span>
      ),
    },
    { header: 'Roles', cell: (group) => <PermissionList permissions={group.roles} /> },
    { header: 'Members', cell: (group) => String(group.members_count) },
    {
      header: 'Actions',
      actions: true,
      cell: (group) => (
        <Button
          variant="secondary"
          size="sm"
          aria-label={`Edit ${group.name}`}
          onClick={() => {
            setNotice(undefined);
            setEditing(group.name);
          }}
        >
          Edit
        </Button>
      ),
    },
  ];

  return (
    <div className="admin-stack">
      {notice && <Alert tone="success">{notice}</Alert>}
      <Card title="Groups" description="Members of a group hold its roles.">
        {state.status === 'loading' && <PageSpinner label="Loading groups…" />}
        {state.status === 'error' && <Alert tone="error">{errorMessage(state.error)}</Alert>}
        {state.status === 'ready' && (
          <Table
            caption="Groups"
            columns={columns}
            rows={state.data}
            rowKey={(group) => group.name}
            empty="No groups yet."
          />
        )}
      </Card>
      {editing !== undefined ? (
        <EditGroup
          key={editing}
          name={editing}
          roleNames={roleNames}
          onDone={done}
          onChanged={groups.reload}
          onCancel={() => setEditing(undefined)}
        />
      ) : (
        <CreateGroup roleNames={roleNames} onCreated={(name) => done(`The group ${name} was created.`)} />
      )}
    </div>
  );
}

const FIELDS = ['name', 'description', 'roles'] as const;

function CreateGroup({ roleNames, onCreated }: { roleNames: string[]; onCreated: (name: string) => void }) {
  const client = useRolesClient();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [roles, setRoles] = useState<string[]>([]);
  const create = useAction(() => client.createGroup({ name: name.trim(), description, roles }));
  const errors = formErrors(create.error, FIELDS);

  const submit = async () => {
    const result = await create.run();
    if (!result.ok) return;
    setName('');
    setDescription('');
    setRoles([]);
    onCreated(result.value.name);
  };

  return (
    <Card title="New group">
      <Form aria-label="New group" onSubmit={() => void submit()}>
        {errors.form && <Alert tone="error">{errors.form}</Alert>}
        <TextField
          label="Name"
          required
          maxLength={80}
          autoComplete="off"
          value={name}
          error={errors.fields.name}
          onChange={(event) => setName(event.target.value)}
        />
        <TextField
          label="Description"
          maxLength={500}
          autoComplete="off"
          value={description}
          error={errors.fields.description}
          onChange={(event) => setDescription(event.target.value)}
        />
        <NamePicker
          legend="Roles"
          names={roleNames}
          value={roles}
          onChange={setRoles}
          empty="No roles yet."
        />
        <FormActions>
          <Button type="submit" loading={create.pending}>
            Create group
          </Button>
        </FormActions>
      </Form>
    </Card>
  );
}

interface EditGroupProps {
  name: string;
  roleNames: string[];
  onDone: (message: string) => void;
  /** The members changed: the list's counts are stale. */
  onChanged: () => void;
  onCancel: () => void;
}

function EditGroup({ name, roleNames, onDone, onChanged, onCancel }: EditGroupProps) {
  const client = useRolesClient();
  const detail = useResource(`group-${name}`, () => client.getGroup(name));
  const { state } = detail;
  return (
    <Card title={`Edit group ${name}`}>
      {state.status === 'loading' && <Spinner />}
      {state.status === 'error' && <Alert tone="error">{errorMessage(state.error)}</Alert>}
      {state.status === 'ready' && (
        <div className="admin-stack">
          <GroupSettings group={state.data} roleNames={roleNames} onDone={onDone} onCancel={onCancel} />
          <GroupMembers
            group={state.data}
            onChanged={() => {
              detail.reload();
              onChanged();
            }}
          />
          <DeleteGroup group={state.data} onDone={onDone} />
        </div>
      )}
    </Card>
  );
}

function GroupSettings({
  group,
  roleNames,
  onDone,
  onCancel,
}: {
  group: GroupDetailResponse;
  roleNames: string[];
  onDone: (message: string) => void;
  onCancel: () => void;
}) {
  const client = useRolesClient();
  const [description, setDescription] = useState(group.description);
  const [roles, setRoles] = useState<string[]>(group.roles);
  const save = useAction(() => client.updateGroup(group.name, { description, roles }));
  const errors = formErrors(save.error, FIELDS);
  return (
    <Form
      aria-label={`Edit group ${group.name}`}
      onSubmit={() =>
        void save.run().then((result) => result.ok && onDone(`The group ${group.name} was saved.`))
      }
    >
      {errors.form && <Alert tone="error">{errors.form}</Alert>}
      <TextField
        label="Description"
        maxLength={500}
        autoComplete="off"
        value={description}
        error={errors.fields.description}
        onChange={(event) => setDescription(event.target.value)}
      />
      <NamePicker
        legend="Roles"
        names={[...new Set([...roleNames, ...group.roles])]}
        value={roles}
        onChange={setRoles}
        empty="No roles yet."
      />
      <FormActions>
        <Button type="submit" loading={save.pending}>
          Save group
        </Button>
        <Button variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
      </FormActions>
    </Form>
  );
}

/** The members, each with "Remove", and "Add" by exact username (the users' search finds the id). */
function GroupMembers({ group, onChanged }: { group: GroupDetailResponse; onChanged: () => void }) {
  const { fetch } = useAuth();
  const client = useRolesClient();
  const [username, setUsername] = useState('');
  const ids = group.members.map((member) => member.id);
  const setMembers = useAction(async (next: string[]) => {
    await client.setGroupMembers(group.name, next);
    onChanged();
  });
  const [missing, setMissing] = useState<string | undefined>(undefined);
  const add = useAction(async () => {
    const wanted = username.trim();
    const page = await listUsers(fetch, { search: wanted, page: 1 });
    const found = page.results.find((user) => user.username === wanted);
    setMissing(found ? undefined : `No user is called ${wanted}.`);
    if (!found) return;
    if (!ids.includes(found.id)) await client.setGroupMembers(group.name, [...ids, found.id]);
    setUsername('');
    onChanged();
  });
  const failure = add.error ?? setMembers.error;

  return (
    <fieldset className="admin-fieldset">
      <legend>Members</legend>
      {failure !== undefined && <Alert tone="error">{errorMessage(failure)}</Alert>}
      {missing && <Alert tone="error">{missing}</Alert>}
      {group.members.length === 0 ? (
        <p className="admin-muted">No members yet.</p>
      ) : (
        <ul className="admin-list member-list">
          {group.members.map((member) => (
            <li key={member.id} className="admin-row">
              <span>{member.username}</span>
              <Button
                variant="ghost"
                size="sm"
                aria-label={`Remove ${member.username}`}
                disabled={setMembers.pending}
                onClick={() => void setMembers.run(ids.filter((id) => id !== member.id))}
              >
                Remove
              </Button>
            </li>
          ))}
        </ul>
      )}
      <Form aria-label="Add a member" className="admin-search" onSubmit={() => void add.run()}>
        <TextField
          label="Add a member"
          placeholder="Username"
          autoComplete="off"
          spellCheck={false}
          required
          value={username}
          onChange={(event) => setUsername(event.target.value)}
        />
        <Button type="submit" variant="secondary" loading={add.pending}>
          Add
        </Button>
      </Form>
    </fieldset>
  );
}

function DeleteGroup({ group, onDone }: { group: GroupDetailResponse; onDone: (message: string) => void }) {
  const client = useRolesClient();
  const [confirming, setConfirming] = useState(false);
  const remove = useAction(() => client.deleteGroup(group.name));
  return (
    <div className="admin-stack">
      {remove.error !== undefined && <Alert tone="error">{errorMessage(remove.error)}</Alert>}
      {confirming ? (
        <div className="admin-confirm" role="group" aria-label="Confirm deletion">
          <p>
            Delete the group <strong>{group.name}</strong>? Its members lose its roles.
          </p>
          <div className="admin-row">
            <Button
              variant="danger"
              loading={remove.pending}
              onClick={() =>
                void remove
                  .run()
                  .then((result) => result.ok && onDone(`The group ${group.name} was deleted.`))
              }
            >
              Yes, delete {group.name}
            </Button>
            <Button variant="ghost" disabled={remove.pending} onClick={() => setConfirming(false)}>
              Cancel
            </Button>
          </div>
        </div>
      ) : (
        <div>
          <Button variant="danger" onClick={() => setConfirming(true)}>
            Delete group
          </Button>
        </div>
      )}
    </div>
  );
}
