/**
 * Awaits every start, then throws the first failure. With Promise.all a failure would leave the others
 * running unseen, and so never stopped; here each start stores what it started as it resolves.
 */
export async function allStarted(starts: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(starts);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
}
