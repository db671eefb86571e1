/** The web app's configuration, read once from Vite's environment (VITE_* variables, fixed at build time). */
export interface Env {
  /** Where the Gatehouse API lives; undefined means this page's own origin (the server serves the app). */
  readonly apiUrl: string | undefined;
}

type RawEnv = Readonly<Record<string, unknown>>;

/** Validates the variables and lists every problem at once, so a bad build fails at start and says why. */
export function parseEnv(raw: RawEnv): Env {
  const problems: string[] = [];
  const apiUrl = optionalUrl(raw['VITE_GATEHOUSE_API_URL'], 'VITE_GATEHOUSE_API_URL', problems);
  if (problems.length > 0) throw new Error(`Invalid environment:\n${problems.join('\n')}`);
  return Object.freeze({ apiUrl });
}

function optionalUrl(value: unknown, name: string, problems: string[]): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') {
    problems.push(`${name} must be a string`);
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${name} must be an absolute URL, e.g. https://auth.example.com (got "${value}")`);
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    problems.push(`${name} must be an http(s) URL (got "${value}")`);
    return undefined;
  }
  if (url.search || url.hash) {
    problems.push(`${name} must not have a query or a fragment (got "${value}")`);
    return undefined;
  }
  return url.href.replace(/\/+$/, '');
}
