/**
 * Too much work is waiting already: the caller is answered 503 with Retry-After, at once, rather than
 * queued behind minutes of work while its memory and its client's patience run out.
 */
export class Overloaded extends Error {
  readonly retryAfter: number;
  constructor(retryAfter = 1) {
    super('overloaded: too many tasks waiting');
    this.name = 'Overloaded';
    this.retryAfter = retryAfter;
  }
}

/**
 * Runs at most `limit` of the given tasks at once; the others wait their turn, first come first served,
 * and no more than `maxWaiting` wait: beyond that a task is refused with `Overloaded`.
 */
export function limitConcurrency(
  limit: number,
  maxWaiting = Number.POSITIVE_INFINITY,
): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  // A finishing task hands its slot straight to the next waiting one, so a task arriving in between
  // cannot take it too and run one over the limit.
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  };
  return async (task) => {
    if (running >= limit) {
      if (waiting.length >= maxWaiting) throw new Overloaded();
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      running += 1;
    }
    try {
      return await task();
    } finally {
      release();
    }
  };
}
