import fs from 'node:fs/promises';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WEB_APP_POLICY } from './security-headers.js';

export interface WebAppOptions {
  /** The built app (apps/web/dist): index.html, hashed files under assets/, and whatever public/ held. */
  root: string;
  /** Serve `*.map` files (GATEHOUSE_WEB_SOURCE_MAPS); otherwise they are not found. */
  sourceMaps?: boolean;
}

const NOT_BUILT = {
  detail: 'The web app is not built: run `npm run build` (`npm start` builds it), or set GATEHOUSE_WEB_ROOT.',
};

/**
 * Serves the single-page app at `/`. A file of the build is served as it is; any other GET of a page
 * (a browser asking for HTML) gets index.html, so the app's own router shows /login, /account, ...
 * The API keeps its JSON answers: /api/* is never the app, and a known route (GET /token/ included,
 * a 405) is matched before this catch-all.
 */
export async function webApp(
  app: FastifyInstance,
  { root, sourceMaps = true }: WebAppOptions,
): Promise<void> {
  const base = path.resolve(root);
  // The catch-all below decides what is served; the plugin only streams it (ETag, ranges, HEAD).
  await app.register(fastifyStatic, { root: base, serve: false, dotfiles: 'deny', index: false });

  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const pathname = request.url.split('?')[0] ?? '/';
    if (pathname === '/api' || pathname.startsWith('/api/')) return reply.callNotFound();
    if (!sourceMaps && pathname.endsWith('.map')) return reply.callNotFound();
    const file = await fileOf(base, pathname);
    if (file !== undefined) return sendFile(reply, file);
    if (pathname !== '/' && !acceptsHtml(request)) return reply.callNotFound();
    if ((await fileOf(base, '/index.html')) === undefined) return reply.code(404).send(NOT_BUILT);
    return sendFile(reply, 'index.html');
  });
}

function sendFile(reply: FastifyReply, file: string): FastifyReply {
  if (file.startsWith('assets/')) {
    // Vite names these by their content hash: a new build gets new names, so they never change.
    return reply.sendFile(file, { maxAge: '365d', immutable: true });
  }
  // index.html names the current assets: always revalidated (its ETag makes that a 304), never stale.
  reply.header('cache-control', 'no-cache');
  if (file.endsWith('.html')) {
    reply.header('content-security-policy', WEB_APP_POLICY);
    // Any page of the app may be one a mailed link opened (/reset-password#token=…): none tells another
    // site where it came from. Its own API calls still carry Origin, which the CSRF check reads.
    reply.header('referrer-policy', 'no-referrer');
  }
  return reply.sendFile(file, { cacheControl: false });
}

/** The file a URL path names inside `base` (relative, with `/`), if it is a regular file there. */
async function fileOf(base: string, pathname: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const segments = decoded.split(/[/\\]/).filter(Boolean);
  if (segments.length === 0 || segments.some((part) => part.startsWith('.') || part.includes('\0'))) {
    return undefined;
  }
  const stat = await fs.stat(path.join(base, ...segments)).catch(() => undefined);
  return stat?.isFile() ? segments.join('/') : undefined;
}

/** A browser loading a page (a navigation) asks for HTML; fetch() and API clients do not. */
function acceptsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}
