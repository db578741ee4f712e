// The relay of a local sandbox's network (sandbox/local/network.ts). The host's node runs it,
// read-only, as the one process holding the sandbox's network namespace: it listens where Lucid's
// URL points inside the sandbox (an address of the sandbox's loopback and Lucid's port) and passes
// every connection, byte for byte, to the Unix socket where Lucid answers sandboxes on the host.
// It prints `ready` once it listens.
//
// Usage: node relay.mjs <socket> <port> <address>...
import net from 'node:net';
import { writeSync } from 'node:fs';

const [socketPath, port, ...addresses] = process.argv.slice(2);

function fail(message) {
  writeSync(2, `${message}\n`);
  process.exit(1);
}

function relay(client) {
  const upstream = net.connect({ path: socketPath, allowHalfOpen: true });
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', end);
  upstream.on('error', end);
  client.on('close', end);
  upstream.on('close', end);
  client.pipe(upstream);
  upstream.pipe(client);
}

if (!socketPath || !port || addresses.length === 0)
  fail('usage: relay.mjs <socket> <port> <address>...');
let waiting = addresses.length;
for (const host of addresses) {
  const server = net.createServer({ allowHalfOpen: true }, relay);
  server.on('error', (error) => fail(`cannot listen on ${host} port ${port}: ${error.message}`));
  server.listen({ host, port: Number(port) }, () => {
    waiting -= 1;
    if (waiting === 0) writeSync(1, 'ready\n');
  });
}
