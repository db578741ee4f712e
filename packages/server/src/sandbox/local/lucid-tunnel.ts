/**
 * @module sandbox/local/lucid-tunnel
 * For a runner on another host than Lucid (`lucid runner`): the Unix socket its local sandboxes'
 * networks connect to, passing each connection byte for byte (TLS included) to the server's host
 * and port. The sandboxes then reach the server at its own URL, and nothing else.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LucidEndpoint } from '../driver.ts';

/**
 * Opens the tunnel; `close()` stops it and removes its socket.
 *
 * @example
 * const tunnel = await tunnelToLucid('https://lucid.example.com');
 * driver.reachLucid?.(tunnel.endpoint);
 */
export async function tunnelToLucid(
  url: string,
): Promise<{ endpoint: LucidEndpoint; close(): Promise<void> }> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = target.port ? Number(target.port) : target.protocol === 'https:' ? 443 : 80;
  const folder = await mkdtemp(path.join(tmpdir(), 'lucid-tunnel-'));
  const socket = path.join(folder, 'lucid.sock');
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ host, port, allowHalfOpen: true });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const side of [client, upstream]) {
      side.on('error', end);
      side.on('close', end);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    endpoint: { url: target.origin, socket },
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await rm(folder, { recursive: true, force: true });
    },
  };
}
