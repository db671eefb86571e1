import { useState } from 'react';
import type { RoleResponse } from '@gatehouse/contract';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/card';
import { Form, FormActions } from '../../../components/ui/form';
import { PageSpinner } from '../../../components/ui/spinner';
import { Table, type Column } from '../../../components/ui/table';
import { TextField } from '../../../components/ui/text-field';
import { errorMessage, formErrors } from '../../../lib/form-errors';
import { useViewer, useRolesClient } from '../../../lib/permissions';
import { useAction } from '../../../lib/use-action';
import { useResource } from '../../../lib/use-resource';
import { PermissionsEditor } from './permissions-editor';
import './admin.css';

/** Every role, a form to create one, and per role: edit its permissions, or delete it. */
export function RolesManager() {
  const client = useRolesClient();
  const roles = useResource('roles', () => client.listRoles());
  const [editing, setEditing] = useState<string | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const done = (message: string) => {
    setNotice(message);
    setEditing(undefined);
    roles.reload();
  };
  const { state } = roles;
  const edited = state.status === 'ready' ? state.data.find((role) => role.name === editing) : undefined;

  const columns: Column<RoleResponse>[] = [
    {
      header: 'Role',
      cell: (role) => (
        <span className="audit-action">
          <strong>{role.name}</strong>
          {role.description && <span className="admin-muted">{role.description}</span>}
        </span>
      ),
    },
    { header: 'Permissions', cell: (role) => <PermissionList permissions={role.permissions} /> },
    { header: 'Users', cell: (role) => String(role.users_count) },
    {
      header: 'Actions',
      actions: true,
      cell: (role) => (
        <Button
          variant="secondary"
          size="sm"
          aria-label={`Edit ${role.name}`}
          onClick={() => {
            setNotice(undefined);
            setEditing(role.name);
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
      <Card
        title="Roles"
        description="A role is a set of permissions; users get it directly or through a group."
      >
        {state.status === 'loading' && <PageSpinner label="Loading roles…" />}
        {state.status === 'error' && <Alert tone="error">{errorMessage(state.error)}</Alert>}
        {state.status === 'ready' && (
          <Table
            caption="Roles"
            columns={columns}
            rows={state.data}
            rowKey={(role) => role.name}
            empty="No roles yet."
          />
        )}
      </Card>
      {edited ? (
        <EditRole key={edited.name} role={edited} onDone={done} onCancel={() => setEditing(undefined)} />
      ) : (
        <CreateRole onCreated={(name) => done(`The role ${name} was created.`)} />
      )}
    </div>
  );
}

export function PermissionList({ permissions }: { permissions: readonly string[] }) {
  if (permissions.length === 0) return <span className="admin-muted">None</span>;
  return (
    <span className="permission-list">
      {permissions.map((permission) => (
        <code key={permission}>{permission}</code>
      ))}
    </span>
  );
}

const FIELDS = ['name', 'description', 'permissions'] as const;

function CreateRole({ onCreated }: { onCreated: (name: string) => void }) {
  const client = useRolesClient();
  const viewer = useViewer();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [permissions, setPermissions] = useState<string[]>([]);
  const [form, setForm] = useState(0);
  const create = useAction(() => client.createRole({ name: name.trim(), description, permissions }));
  const errors = formErrors(create.error, FIELDS);

  const submit = async () => {
    const result = await create.run();
    if (!result.ok) return;
    setName('');
    setDescription('');
    setPermissions([]);
    setForm((n) => n + 1);
    onCreated(result.value.name);
  };

  return (
    <Card title="New role">
      <Form onSubmit={() => void submit()} aria-label="New role">
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
        <PermissionsEditor
          key={form}
          value={permissions}
          onChange={setPermissions}
          viewer={viewer}
          error={errors.fields.permissions}
        />
        <FormActions>
          <Button type="submit" loading={create.pending}>
            Create role
          </Button>
        </FormActions>
      </Form>
    </Card>
  );
}

function EditRole({
  role,
  onDone,
  onCancel,
}: {
  role: RoleResponse;
  onDone: (message: string) => void;
  onCancel: () => void;
}) {
  const client = useRolesClient();
  const viewer = useViewer();
  const [description, setDescription] = useState(role.description);
  const [permissions, setPermissions] = useState<string[]>(role.permissions);
  const [confirming, setConfirming] = useState(false);
  const save = useAction(() => client.updateRole(role.name, { description, permissions }));
  const remove = useAction(() => client.deleteRole(role.name));
  const errors = formErrors(save.error, FIELDS);

  return (
    <Card title={`Edit role ${role.name}`}>
      <div className="admin-stack">
        <Form
          aria-label={`Edit role ${role.name}`}
          onSubmit={() =>
            void save.run().then((result) => result.ok && onDone(`The role ${role.name} was saved.`))
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
          <PermissionsEditor
            value={permissions}
            onChange={setPermissions}
            viewer={viewer}
            error={errors.fields.permissions}
          />
          <FormActions>
            <Button type="submit" loading={save.pending}>
              Save role
            </Button>
            <Button variant="ghost" onClick={onCancel}>
              Cancel
            </Button>
          </FormActions>
        </Form>
        {remove.error !== undefined && <Alert tone="error">{errorMessage(remove.error)}</Alert>}
        {confirming ? (
          <div className="admin-confirm" role="group" aria-label="Confirm deletion">
            <p>
              Delete the role <strong>{role.name}</strong>? Its {role.users_count} user(s) and its groups lose
              its permissions.
            </p>
            <div className="admin-row">
              <Button
                variant="danger"
                loading={remove.pending}
                onClick={() =>
                  void remove
                    .run()
                    .then((result) => result.ok && onDone(`The role ${role.name} was deleted.`))
                }
              >
                Yes, delete {role.name}
              </Button>
              <Button variant="ghost" disabled={remove.pending} onClick={() => setConfirming(false)}>
                Cancel
              </Button>
            </div>
          </div>
        ) : (
          <div>
            <Button variant="danger" onClick={() => setConfirming(true)}>
              Delete role
            </Button>
          </div>
        )}
      </div>
    </Card>
  );
}
