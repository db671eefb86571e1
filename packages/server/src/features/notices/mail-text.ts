/** How composers write what they put in a mail: links, times and durations a reader takes in at once. */

/**
 * A page of the web app with a one-time token in the fragment, which browsers send neither to a
 * server nor in Referer; the page posts it when its user acts, so a link scanner spends nothing.
 */
export function tokenLink(publicUrl: string, page: string, token: string): string {
  return `${publicUrl}/${page}#token=${token}`;
}

const TIME = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'long',
  timeStyle: 'short',
  timeZone: 'UTC',
});

/** `4 December 2026 at 16:29 UTC`: the reader's time zone is unknown, so UTC, said. */
export function mailTime(at: Date): string {
  return `${TIME.format(at)} UTC`;
}

const UNITS: [number, string][] = [
  [86400, 'day'],
  [3600, 'hour'],
  [60, 'minute'],
  [1, 'second'],
];

/** `24 hours`, `7 days`, `15 minutes`: the largest unit that divides it, days from two on. */
export function duration(seconds: number): string {
  for (const [size, name] of UNITS) {
    if (seconds % size !== 0 || (size === 86400 && seconds < 2 * 86400)) continue;
    const count = seconds / size;
    return `${count} ${name}${count === 1 ? '' : 's'}`;
  }
  return `${seconds} seconds`;
}
