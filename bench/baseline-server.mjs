// The speed limit of the HTTP stack: a bare Fastify (the same copy Gatehouse uses) answering a fixed small
// JSON body, with no logger, hooks or plugins. Started as a child process by bench/run.mjs.
import process from 'node:process';
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
// POST with a small JSON body parsed by Fastify's default parser: context for the POST routes.
app.post('/', async () => ({}));

const port = Number(process.env.PORT);
await app.listen({ host: '127.0.0.1', port });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
