/**
 * @module http/sandbox-listener
 * How docker sandboxes reach Lucid, and only the part of it that is theirs. They live on Lucid's
 * sandbox network and reach the host at its gateway (`host.docker.internal`). A request that
 * arrives on that address reaches the git endpoint and the LLM gateway alone, whichever listener
 * accepted it: `SandboxGate` decides by the connection's local address, in one hook. When the API
 * listens on particular addresses (loopback by default) rather than every one, a second listener on
 * the gateway serves sandboxes. `openSandboxAccess` finds the gateway (the driver makes the network
 * when it is missing), opens the firewall's port there and listens, and tries again until that
 * works, saying once when it does. Local sandboxes reach the same two paths through a Unix socket
 * (`listenForSandboxes` with `{ path }`), which their network's relay connects to: every
 * connection to a sandbox listener is a sandbox's, whatever its address.
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import type { DockerDriver } from '../sandbox/docker/docker-driver.ts';
import { SANDBOX_NETWORK } from '../sandbox/docker/sandbox-network.ts';

/** Routes sandboxes may reach. */
const SANDBOX_ROUTES = /^\/(git|llm)\//;
/** Longest wait between two attempts to open sandboxes' way in. */
const MAX_RETRY_MS = 30_000;

/**
 * Refuses sandboxes everything but `/git/` and `/llm/`: a request whose connection arrived on an
 * address of the sandbox network, or on a listener for sandboxes, is a sandbox's.
 *
 * @example
 * const gate = new SandboxGate();
 * app.addHook('onRequest', gate.hook);
 * gate.add('172.18.0.1');
 */
export class SandboxGate {
  private readonly addresses = new Set<string>();
  private readonly sockets = new WeakSet<Socket>();

  /** Marks `address` (the host's on the sandbox network) as where sandboxes arrive. */
  add(address: string): void {
    this.addresses.add(address);
  }

  /** Marks a connection accepted by a listener for sandboxes alone. */
  mark(socket: Socket): void {
    this.sockets.add(socket);
  }

  /** True when a request that arrived on `socket` for the route `route` is refused. */
  refuses(socket: Pick<Socket, 'localAddress'>, route: string | undefined): boolean {
    const address = socket.localAddress?.replace(/^::ffff:/, '');
    const sandboxes =
      this.sockets.has(socket as Socket) || (address !== undefined && this.addresses.has(address));
    return sandboxes && !SANDBOX_ROUTES.test(route ?? '');
  }

  /** The Fastify `onRequest` hook that applies the gate, by the route the request matched. */
  readonly hook = async (request: FastifyRequest): Promise<void> => {
    if (this.refuses(request.raw.socket, request.routeOptions.url)) {
      throw new AppError(
        'not_found',
        'Sandboxes reach only the git endpoint and the LLM gateway here.',
      );
    }
  };
}

export interface SandboxAccessOptions {
  app: FastifyInstance;
  driver: DockerDriver;
  gate: SandboxGate;
  /** The port Lucid listens on. */
  port: number;
  /** Listen on the gateway too: the API listens on particular addresses, not on every one. */
  listen: boolean;
  log: {
    info(message: string): void;
    warn(message: string): void;
  };
  /** The first wait before trying again, doubled each time up to 30 s. */
  retryMs?: number;
}

export interface SandboxAccess {
  /** Resolves with Lucid's address as sandboxes reach it once they can. */
  ready: Promise<string>;
  close(): Promise<void>;
}

/**
 * Opens sandboxes' way to Lucid, trying again in the background until it is open. Resolves after
 * the first attempt, whatever its outcome.
 *
 * @example
 * const access = await openSandboxAccess({ app, driver, gate, port: 3000, listen: true, log });
 * await access.ready; // 'http://172.18.0.1:3000'
 */
export async function openSandboxAccess(options: SandboxAccessOptions): Promise<SandboxAccess> {
  const { app, driver, gate, port, listen, log } = options;
  let server: Server | null = null;
  let allowed = false;
  let closed = false;
  let timer: NodeJS.Timeout | null = null;
  let lastProblem = '';
  let opened: (address: string) => void = () => undefined;
  const ready = new Promise<string>((resolve) => (opened = resolve));

  const attempt = async (): Promise<string> => {
    const { network, firewall } = await driver.prepareNetwork();
    gate.add(network.gateway);
    if (!allowed && firewall.enforced) {
      const opening = await driver.allowHostPort(port);
      if (!opening.enforced) {
        throw new Error(`the firewall did not open port ${port} to sandboxes: ${opening.reason}`);
      }
      allowed = true;
    }
    if (listen && !server) {
      server = await listenForSandboxes(app, gate, { host: network.gateway, port });
    }
    const address = `http://${network.gateway}:${port}`;
    log.info(
      `sandboxes reach Lucid at ${address} (host.docker.internal on the Docker network ` +
        `${SANDBOX_NETWORK}), ${firewall.enforced ? 'fenced by its firewall' : `not fenced: ${firewall.reason}`}`,
    );
    return address;
  };

  const run = async (delay: number): Promise<void> => {
    try {
      opened(await attempt());
    } catch (error) {
      if (closed) return;
      const problem = problemOf(error, port);
      if (problem !== lastProblem) {
        log.warn(`sandboxes cannot reach Lucid yet: ${problem}; trying again`);
        lastProblem = problem;
      }
      timer = setTimeout(() => {
        attempting = run(Math.min(delay * 2, MAX_RETRY_MS));
      }, delay);
    }
  };
  let attempting = run(options.retryMs ?? 1000);
  await attempting;

  return {
    ready,
    close: async () => {
      closed = true;
      if (timer) clearTimeout(timer);
      await attempting;
      const listening = server as Server | null;
      if (listening) {
        listening.closeAllConnections();
        await new Promise((resolve) => listening.close(resolve));
      }
      if (allowed) await driver.revokeHostPort(port).catch(() => undefined);
    },
  };
}

function problemOf(error: unknown, port: number): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRNOTAVAIL') {
    return (
      `the sandbox network's gateway is not an address of this machine (is the Docker engine on ` +
      `another host?), so Lucid cannot listen there on port ${port}; set HOST=0.0.0.0, or ` +
      'LUCID_SANDBOX_URL to an address of Lucid that sandboxes reach'
    );
  }
  if (code === 'EADDRINUSE') {
    return `another program listens on port ${port} of the sandbox network's gateway`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * A listener for sandboxes alone, on an address or a Unix socket, handing every request to the
 * app, where the gate lets them through to `/git/` and `/llm/` alone.
 *
 * @example
 * const local = await listenForSandboxes(app, gate, { path: '/tmp/lucid-sandboxes-x/lucid.sock' });
 */
export function listenForSandboxes(
  app: FastifyInstance,
  gate: SandboxGate,
  address: { host: string; port: number } | { path: string },
): Promise<Server> {
  const server = createServer((req, res) => app.routing(req, res));
  server.on('connection', (socket: Socket) => gate.mark(socket));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** True for addresses that stand for every interface of this machine. */
export function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}
