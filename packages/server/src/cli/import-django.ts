import { describeImport, importFromDjango, type ImportOptions } from '../features/django/importer.js';
import { SourceError } from '../features/django/source.js';
import type { DjangoStore } from '../features/django/store.js';
import { CommandError, writeLine, type CliIo } from './io.js';

/** `gatehouse import django --from <sqlite file | postgres://…>`: see features/django/importer.ts. */
export async function importDjango(
  io: CliIo,
  store: Pick<DjangoStore, 'listImportTargets' | 'listGroupTargets' | 'applyDjangoImport'>,
  clock: () => Date,
  options: ImportOptions,
): Promise<void> {
  let summary;
  try {
    summary = await importFromDjango(options, store, clock);
  } catch (error) {
    if (error instanceof SourceError) throw new CommandError(`gatehouse import django: ${error.message}`);
    throw error;
  }
  for (const line of describeImport(summary)) writeLine(io.stdout, line);
}
