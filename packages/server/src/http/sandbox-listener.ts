/**
 * @module http/sandbox-listener
 * Docker sandboxes reach the host at `host.docker.internal`, the bridge network's gateway. When
 * Lucid listens on loopback only, this second listener on the gateway address lets them reach the
 * git endpoint and the LLM gateway (for CLI agents, which call their model from inside the
 * sandbox), and nothing else: the REST API and the web app stay on loopback. Local sandboxes reach
 * the same two paths through a Unix socket (`{ path }`), which their network's relay connects to.
 */
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** Paths sandboxes may reach. */
const SANDBOX_PATHS = /^\/(git|llm)\//;

/**
 * @example
 * const server = await listenForSandboxes(app, { host: '172.17.0.1', port: 3000 });
 * const local = await listenForSandboxes(app, { path: '/tmp/lucid-sandboxes-x/lucid.sock' });
 */
export function listenForSandboxes(
  app: FastifyInstance,
  address: { host: string; port: number } | { path: string },
): Promise<Server> {
  const server = createServer((req, res) => {
    if (SANDBOX_PATHS.test(req.url ?? '')) {
      app.routing(req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        error: {
          code: 'not_found',
          message: 'Sandboxes reach only the git endpoint and the LLM gateway here.',
        },
      }),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** True for addresses only this machine reaches. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
