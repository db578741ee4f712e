// The embedded database's thread: PGlite (PostgreSQL compiled to WebAssembly) runs here, beside
// the server's event loop rather than on it.
//
// A statement on PGlite runs synchronously inside the WebAssembly call: on the server's own thread
// every statement would stall whatever else that thread serves (the live stream's tokens, HTTP
// requests) for its whole duration. Here it stalls nothing but this thread. The server talks to it
// through `db/pglite-thread.ts`, one message per statement; this file holds only what must run
// where the database is: opening and migrating it, statements, transactions, LISTEN, closing.
//
// Messages in: {id, op: 'query', sql, params, rowMode, tx?} | {id, op: 'exec', sql, tx?} |
// {id, op: 'begin'} | {id, op: 'end', tx, commit} | {id, op: 'listen', listenId, channel} |
// {id, op: 'unlisten', listen} | {id, op: 'close'}.
// Messages out: {ready} | {failed: error} once; {id, result} | {id, error} per message;
// {listen, payload} per notification.
import { parentPort, workerData } from 'node:worker_threads';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';

const { dir, conf, migrationsFolder } = workerData;
const port = parentPort;

const text = (value) => value;
// What drizzle-orm's PGlite driver asks for: dates, times and intervals as PostgreSQL's text,
// which Drizzle maps itself by each column's mode.
const parsers = {
  [types.TIMESTAMP]: text,
  [types.TIMESTAMPTZ]: text,
  [types.INTERVAL]: text,
  [types.DATE]: text,
  1231: text, // numeric[]
  1115: text, // timestamp[]
  1185: text, // timestamptz[]
  1187: text, // interval[]
  1182: text, // date[]
};

const ERROR_FIELDS = [
  'code',
  'severity',
  'detail',
  'hint',
  'position',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'routine',
];

/** An error as plain data: a thread boundary keeps an Error's message but not its fields. */
function errorData(error) {
  const data = {
    name: error?.name ?? 'Error',
    message: error instanceof Error ? error.message : String(error),
  };
  for (const field of ERROR_FIELDS) {
    if (error?.[field] !== undefined) data[field] = error[field];
  }
  return data;
}

/** Thrown inside a transaction that the server asked to roll back; never leaves this thread. */
const ROLLBACK = Symbol('rollback');

let db;
/** Open transactions by id: the PGlite transaction, how to end it, and its outcome. */
const transactions = new Map();
/** Listeners by id: how to stop each. */
const listeners = new Map();

function target(tx) {
  if (tx === undefined) return db;
  const open = transactions.get(tx);
  if (!open) throw new Error(`no open transaction ${tx}`);
  return open.tx;
}

function begin(id) {
  return new Promise((resolve, reject) => {
    let end;
    const ended = new Promise((settle) => (end = settle));
    const done = db
      .transaction(async (tx) => {
        transactions.set(id, { tx, end, done });
        resolve(id);
        if (!(await ended)) throw ROLLBACK;
      })
      .then(
        () => undefined,
        (error) => {
          if (error !== ROLLBACK) throw error;
        },
      )
      .finally(() => transactions.delete(id));
    // A transaction that never opened (BEGIN failed) answers the `begin` itself.
    done.catch(reject);
  });
}

async function end(tx, commit) {
  const open = transactions.get(tx);
  if (!open) throw new Error(`no open transaction ${tx}`);
  open.end(commit);
  await open.done;
}

const handlers = {
  query: ({ sql, params, rowMode, tx }) =>
    target(tx)
      .query(sql, params, { rowMode, parsers })
      .then(({ rows, fields, affectedRows }) => ({ rows, fields, affectedRows })),
  exec: ({ sql, tx }) =>
    target(tx)
      .exec(sql, { parsers })
      .then((results) =>
        results.map(({ rows, fields, affectedRows }) => ({ rows, fields, affectedRows })),
      ),
  begin: ({ id }) => begin(id),
  end: ({ tx, commit }) => end(tx, commit),
  listen: async ({ listenId, channel }) => {
    const notify = (payload) => port.postMessage({ listen: listenId, payload });
    listeners.set(listenId, await db.listen(channel, notify));
  },
  unlisten: async ({ listen }) => {
    const stop = listeners.get(listen);
    listeners.delete(listen);
    if (stop && !db.closed) await stop();
  },
  close: async () => {
    if (!db.closed) await db.close();
  },
};

port.on('message', (message) => {
  const handler = handlers[message.op];
  Promise.resolve()
    .then(() => handler(message))
    .then(
      (result) => port.postMessage({ id: message.id, result }),
      (error) => port.postMessage({ id: message.id, error: errorData(error) }),
    )
    .then(() => {
      if (message.op === 'close') port.close();
    });
});

try {
  mkdirSync(path.dirname(dir), { recursive: true });
  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    // Creating the cluster grows the WebAssembly heap to ~800 MB, and a heap never shrinks:
    // create it with a throwaway instance, so the one that serves starts small (~300 MB).
    await (await PGlite.create(dir, { postgresqlconf: conf })).close();
  }
  db = await PGlite.create(dir, { postgresqlconf: conf });
  await migrate(drizzle({ client: db }), { migrationsFolder });
  port.postMessage({ ready: true });
} catch (error) {
  port.postMessage({ failed: errorData(error) });
}
