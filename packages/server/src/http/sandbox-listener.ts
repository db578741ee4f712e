/**
 * @module http/sandbox-listener
 * Docker sandboxes reach the host at `host.docker.internal`, the bridge network's gateway. When
 * Lucid listens on loopback only, this second listener on the gateway address lets them reach the
 * git endpoint and the LLM gateway (for CLI agents, which call their model from inside the
 * sandbox), and nothing else: the REST API and the web app stay on loopback.
 */
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** Paths sandboxes may reach. */
const SANDBOX_PATHS = /^\/(git|llm)\//;

/**
 * @example
 * const server = await listenForSandboxes(app, { host: '172.17.0.1', port: 3000 });
 */
export function listenForSandboxes(
  app: FastifyInstance,
  { host, port }: { host: string; port: number },
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
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** True for addresses only this machine reaches. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
