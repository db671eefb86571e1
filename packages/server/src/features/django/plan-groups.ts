import { PERMISSION_PATTERN, ROLE_NAME_PATTERN } from '@gatehouse/contract';
import type { DjangoGroup } from './read-django.js';
import type { GroupTargets, ImportedGroup } from './store.js';

export interface GroupPlan {
  create: ImportedGroup[];
  update: ImportedGroup[];
  skipped: { name: string; reason: string }[];
}

const ROLE_NAME = new RegExp(ROLE_NAME_PATTERN, 'u');
const PERMISSION = new RegExp(PERMISSION_PATTERN);

/**
 * Each Django group becomes a Gatehouse group holding one role of the same name, whose permissions are
 * the group's `app_label:codename` (lower case). One imported before is kept in step; a name that is
 * already another role's or group's here is skipped (never merged), as is one Gatehouse refuses.
 */
export function planGroups(groups: readonly DjangoGroup[], targets: GroupTargets): GroupPlan {
  const plan: GroupPlan = { create: [], update: [], skipped: [] };
  for (const group of groups) {
    const permissions = [...new Set(group.permissions.map((p) => p.toLowerCase()))].sort();
    const refused = permissions.filter((p) => !PERMISSION.test(p));
    if (!ROLE_NAME.test(group.name)) {
      plan.skipped.push({ name: group.name, reason: "a name Gatehouse's roles and groups cannot have" });
      continue;
    }
    if (refused.length > 0) {
      plan.skipped.push({
        name: group.name,
        reason: `permissions Gatehouse cannot hold: ${refused.join(', ')}`,
      });
      continue;
    }
    const imported: ImportedGroup = {
      djangoId: group.id,
      name: group.name,
      permissions,
      members: group.members,
    };
    const before = targets.imported.get(group.id);
    if (before !== undefined) {
      // Renamed in Django since: kept under the name it was imported with.
      plan.update.push({ ...imported, name: before });
    } else if (targets.roles.has(group.name) || targets.groups.has(group.name)) {
      plan.skipped.push({ name: group.name, reason: 'a role or group of that name exists here already' });
    } else {
      plan.create.push(imported);
    }
  }
  return plan;
}
