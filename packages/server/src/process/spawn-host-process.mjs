// The spawn host: a small process that starts programs on behalf of the Lucid server.
//
// A large process pays for every fork() (copying its page tables stalls its event loop for
// milliseconds per hundred MB resident), so the server asks this one to spawn instead. For each
// program it connects two Unix sockets to the server, names them with the request id, and hands
// them to the program as its stdin+stdout and stderr: the bytes then flow between the program and
// the server directly, never through this process.
import net from 'node:net';
import { spawn } from 'node:child_process';

const socketPath = process.argv[2];
const children = new Map();

function connect(id, stream) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(`${id} ${stream}\n`, () => resolve(socket));
    });
  });
}

async function start({ id, command, args, env, cwd, detached }) {
  let io;
  let err;
  try {
    [io, err] = await Promise.all([connect(id, 'io'), connect(id, 'err')]);
    const child = spawn(command, args, { env, cwd, detached, stdio: [io, io, err] });
    io.destroy();
    err.destroy();
    child.once('error', (error) =>
      process.send({ type: 'error', id, message: error.message, code: error.code }),
    );
    if (child.pid === undefined) return;
    children.set(id, child);
    process.send({ type: 'spawned', id, pid: child.pid });
    child.once('exit', (code, signal) => {
      children.delete(id);
      process.send({ type: 'exit', id, code, signal });
    });
  } catch (error) {
    io?.destroy();
    err?.destroy();
    process.send({ type: 'error', id, message: error.message, code: error.code });
  }
}

process.on('message', (message) => {
  if (message.type === 'spawn') void start(message);
  else if (message.type === 'kill') {
    const child = children.get(message.id);
    try {
      if (child && message.group) process.kill(-child.pid, message.signal);
      else child?.kill(message.signal);
    } catch {
      // already gone
    }
  }
});
// The server went away: so does the host (its children are the server's to end).
process.on('disconnect', () => process.exit(0));
