import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

export interface StaticServer {
  origin: string;
  close(): Promise<void>;
}

/**
 * A bare static host for a built single-page app, as a CDN would serve it: files as they are, any other
 * path index.html. It stands for "another origin" than Gatehouse's, so the app's API calls are CORS.
 */
export async function serveStatic(dir: string, port: number): Promise<StaticServer> {
  const server = http.createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const candidate = path.join(dir, path.normalize(pathname));
    const file =
      candidate.startsWith(dir + path.sep) && fs.statSync(candidate, { throwIfNoEntry: false })?.isFile()
        ? candidate
        : path.join(dir, 'index.html');
    response.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
