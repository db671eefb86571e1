import { useState } from 'react';
import type { GatehousePermission } from '@gatehouse/contract';
import { Checkbox } from '../../../components/ui/checkbox';
import { TextField } from '../../../components/ui/text-field';
import type { Viewer } from '../../../lib/permissions';
import './admin.css';

/** Gatehouse's own permissions, as the admin app explains them. */
const GATEHOUSE: readonly { permission: GatehousePermission; hint: string }[] = [
  { permission: 'users:read', hint: 'See users, their sessions and second factors.' },
  { permission: 'users:deactivate', hint: 'Activate and deactivate accounts.' },
  { permission: 'users:update', hint: 'Activate, deactivate, staff status, reset second factors.' },
  { permission: 'users:delete', hint: 'Delete accounts.' },
  { permission: 'sessions:revoke', hint: 'End other users’ sessions.' },
  { permission: 'audit:read', hint: 'Read the audit log.' },
  { permission: 'roles:manage', hint: 'Roles, groups and who holds them.' },
];
const OWN = new Set<string>(GATEHOUSE.map((item) => item.permission));

/** The permissions written in the "other" field: any separator, empty parts dropped. */
export function parsePermissions(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

export interface PermissionsEditorProps {
  value: readonly string[];
  onChange: (permissions: string[]) => void;
  viewer: Viewer;
  disabled?: boolean;
  /** A refusal about the permissions (a malformed one), shown under the field. */
  error?: string | undefined;
}

/**
 * A role's permissions: Gatehouse's as checkboxes, the deployer's own (`posts:publish`) as text. A
 * permission the viewer does not hold cannot be granted (the server refuses it too), only kept.
 */
export function PermissionsEditor({ value, onChange, viewer, disabled, error }: PermissionsEditorProps) {
  const [other, setOther] = useState(() => value.filter((item) => !OWN.has(item)).join(' '));
  const own = value.filter((item) => OWN.has(item));
  const emit = (nextOwn: readonly string[], otherText: string) =>
    onChange([...new Set([...nextOwn, ...parsePermissions(otherText)])]);

  return (
    <fieldset className="admin-fieldset" disabled={disabled}>
      <legend>Permissions</legend>
      {GATEHOUSE.map(({ permission, hint }) => {
        const checked = own.includes(permission);
        return (
          <Checkbox
            key={permission}
            label={permission}
            hint={viewer.can(permission) ? hint : `${hint} You do not hold it, so you cannot grant it.`}
            checked={checked}
            disabled={!checked && !viewer.can(permission)}
            onChange={(event) =>
              emit(
                event.target.checked ? [...own, permission] : own.filter((item) => item !== permission),
                other,
              )
            }
          />
        );
      })}
      <TextField
        label="Other permissions"
        hint="Your own APIs’ permissions, as resource:action (posts:publish), separated by spaces."
        autoComplete="off"
        spellCheck={false}
        value={other}
        error={error}
        onChange={(event) => {
          setOther(event.target.value);
          emit(own, event.target.value);
        }}
      />
    </fieldset>
  );
}
