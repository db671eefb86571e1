import { planGroups, type GroupPlan } from './plan-groups.js';
import { planImport, type ImportPlan } from './plan.js';
import { readDjango, type ReadOptions } from './read-django.js';
import { openDjangoSource } from './source.js';
import type { DjangoStore } from './store.js';

export interface ImportOptions extends ReadOptions {
  /** A SQLite file or a postgres:// URL. */
  from: string;
  dryRun: boolean;
}

export interface ImportSummary {
  plan: ImportPlan;
  groups: GroupPlan;
  applied: boolean;
}

/**
 * `gatehouse import django`: reads the Django database (read-only), plans, and applies the plan in one
 * transaction on Gatehouse's (nothing of it when anything fails); a dry run stops after the plan.
 */
export async function importFromDjango(
  options: ImportOptions,
  store: Pick<DjangoStore, 'listImportTargets' | 'listGroupTargets' | 'applyDjangoImport'>,
  clock: () => Date,
): Promise<ImportSummary> {
  const source = await openDjangoSource(options.from);
  let data;
  try {
    data = await readDjango(source, options);
  } finally {
    await source.close();
  }
  const now = clock();
  const plan = planImport(data, await store.listImportTargets(), now);
  const groups = planGroups(data.groups, await store.listGroupTargets());
  if (options.dryRun) return { plan, groups, applied: false };
  await store.applyDjangoImport(
    {
      create: plan.create,
      update: plan.update,
      tokens: plan.tokens,
      groups: { create: groups.create, update: groups.update },
      audit: {
        at: now,
        actorId: null,
        actor: 'gatehouse import django',
        action: 'django_import',
        targetId: null,
        target: '',
        detail: {
          created: plan.create.length,
          updated: plan.update.length,
          unchanged: plan.unchanged,
          skipped: plan.skipped.length,
          tokens: plan.tokens.length,
          groups_created: groups.create.length,
          groups_updated: groups.update.length,
          groups_skipped: groups.skipped.length,
        },
        ip: '',
      },
    },
    now,
  );
  return { plan, groups, applied: true };
}

/** The lines the command prints: each change, each skip with its reason, then the counts. */
export function describeImport({ plan, groups, applied }: ImportSummary): string[] {
  const would = applied ? '' : 'would be ';
  const lines = [
    ...plan.create.map((u) => `${would}created: ${u.username} (Django id ${u.djangoId})`),
    ...plan.update.map((u) => `${would}updated: ${u.username} (Django id ${u.djangoId})`),
    ...plan.skipped.map((s) => `skipped: ${s.username} (Django id ${s.djangoId}): ${s.reason}`),
    ...groups.create.map(
      (g) =>
        `group ${would}created: ${g.name} (role ${g.name}: ${g.permissions.join(' ') || 'no permissions'})`,
    ),
    ...groups.update.map((g) => `group ${would}kept in step: ${g.name}`),
    ...groups.skipped.map((g) => `group skipped: ${g.name}: ${g.reason}`),
  ];
  const counts =
    `${plan.create.length} ${would}created, ${plan.update.length} ${would}updated, ${plan.unchanged} unchanged, ` +
    `${plan.skipped.length} skipped; groups: ${groups.create.length} ${would}created, ${groups.update.length} ` +
    `${would}kept in step, ${groups.skipped.length} skipped; ` +
    `${plan.tokens.length} simplejwt refresh token(s) ${applied ? 'recorded' : 'to record'}`;
  lines.push(applied ? counts : `Dry run, nothing written: ${counts}`);
  return lines;
}
