/**
 * @module bench/scale-out/proxy
 * A small round-robin HTTP proxy in front of the drill's servers, as a load balancer with no
 * sticky sessions would be: each request goes to the next server; a server that refuses the
 * connection (it is dead) is skipped for a while and the request, whose body is read first, goes
 * to the next one. A response is streamed (long polls, Server-Sent Events, git); if its server dies
 * mid-response the client's connection is cut, as a real balancer's would be. Also a plain TCP
 * relay, for the fake LLM on loopback.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTcpServer, connect, type Server as TcpServer } from 'node:net';

/** A server behind the proxy. */
export interface Backend {
  name: string;
  host: string;
  port: number;
}

/** What the proxy counted. */
export interface ProxyStats {
  /** Requests answered, by backend name. */
  answered: Map<string, number>;
  /** Requests sent on to the next backend after one refused the connection. */
  failovers: number;
  /** Requests no backend took (answered 502). */
  refused: number;
  /** Responses cut because their backend died while answering. */
  cut: number;
}

const DOWN_MS = 2_000;

/** Starts the proxy on `host:port`. */
export async function startProxy(
  backends: Backend[],
  { host, port }: { host: string; port: number },
): Promise<{ server: Server; stats: ProxyStats; close(): Promise<void> }> {
  const stats: ProxyStats = {
    answered: new Map(backends.map((b) => [b.name, 0])),
    failovers: 0,
    refused: 0,
    cut: 0,
  };
  const downUntil = new Map<string, number>();
  let next = 0;

  const order = (): Backend[] => {
    const start = next++ % backends.length;
    const turn = [...backends.slice(start), ...backends.slice(0, start)];
    const now = Date.now();
    return [
      ...turn.filter((b) => (downUntil.get(b.name) ?? 0) <= now),
      ...turn.filter((b) => (downUntil.get(b.name) ?? 0) > now),
    ];
  };

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    for (const backend of order()) {
      const upstream = await send(backend, req, body).catch(
        (error: NodeJS.ErrnoException) => error,
      );
      if (upstream instanceof Error) {
        if (upstream.code === 'ECONNREFUSED' || upstream.code === 'EHOSTUNREACH') {
          downUntil.set(backend.name, Date.now() + DOWN_MS);
          stats.failovers += 1;
          continue;
        }
        // Sent, then the server went away before answering: the client learns it as it would.
        stats.cut += 1;
        res.destroy();
        return;
      }
      stats.answered.set(backend.name, (stats.answered.get(backend.name) ?? 0) + 1);
      res.writeHead(upstream.statusCode ?? 502, upstream.rawHeaders);
      res.flushHeaders();
      upstream.on('data', (chunk: Buffer) => res.write(chunk));
      upstream.on('end', () => res.end());
      upstream.on('error', () => {
        stats.cut += 1;
        res.destroy();
      });
      upstream.on('aborted', () => {
        stats.cut += 1;
        res.destroy();
      });
      res.on('close', () => upstream.destroy());
      return;
    }
    stats.refused += 1;
    res.writeHead(502, { 'content-type': 'text/plain' }).end('no server answered\n');
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return {
    server,
    stats,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Sends the request to one backend; resolves with its response once its head arrives. */
function send(backend: Backend, req: IncomingMessage, body: Buffer): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    const upstream = httpRequest(
      { host: backend.host, port: backend.port, method: req.method, path: req.url, headers },
      resolve,
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}

/** Relays TCP connections on `host:port` to `target`. */
export async function startRelay(
  { host, port }: { host: string; port: number },
  target: { host: string; port: number },
): Promise<{ close(): Promise<void> }> {
  const server: TcpServer = createTcpServer((socket) => {
    const upstream = connect(target.port, target.host);
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return { close: () => new Promise((resolve) => server.close(() => resolve())) };
}
