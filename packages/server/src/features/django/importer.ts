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
  applied: boolean;
}

/**
 * `gatehouse import django`: reads the Django database (read-only), plans, and applies the plan in one
 * transaction on Gatehouse's (nothing of it when anything fails); a dry run stops after the plan.
 */
export async function importFromDjango(
  options: ImportOptions,
  store: Pick<DjangoStore, 'listImportTargets' | 'applyDjangoImport'>,
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
  if (options.dryRun) return { plan, applied: false };
  await store.applyDjangoImport(
    {
      create: plan.create,
      update: plan.update,
      tokens: plan.tokens,
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
        },
        ip: '',
      },
    },
    now,
  );
  return { plan, applied: true };
}

/** The lines the command prints: each change, each skip with its reason, then the counts. */
export function describeImport({ plan, applied }: ImportSummary): string[] {
  const would = applied ? '' : 'would be ';
  const lines = [
    ...plan.create.map((u) => `${would}created: ${u.username} (Django id ${u.djangoId})`),
    ...plan.update.map((u) => `${would}updated: ${u.username} (Django id ${u.djangoId})`),
    ...plan.skipped.map((s) => `skipped: ${s.username} (Django id ${s.djangoId}): ${s.reason}`),
  ];
  const counts =
    `${plan.create.length} ${would}created, ${plan.update.length} ${would}updated, ${plan.unchanged} unchanged, ` +
    `${plan.skipped.length} skipped; ${plan.tokens.length} simplejwt refresh token(s) ${applied ? 'recorded' : 'to record'}`;
  lines.push(applied ? counts : `Dry run, nothing written: ${counts}`);
  return lines;
}
