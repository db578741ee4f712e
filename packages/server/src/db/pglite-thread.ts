/**
 * @module db/pglite-thread
 * The embedded database in a thread of its own. PGlite runs each statement synchronously inside
 * WebAssembly: on the server's thread a burst of statements (fifty runs ending at once) would hold
 * back every streamed token and HTTP answer behind it. {@link PGliteThread} opens PGlite in a
 * worker thread (`pglite-worker.mjs`, which also creates and migrates it) and offers the part of
 * PGlite's interface Drizzle's PGlite driver and the live hub use: `query`, `exec`, `transaction`,
 * `listen`, `close`. Statements keep PGlite's semantics: one connection, a transaction holds it
 * until it ends and other statements wait their turn; errors keep their SQLSTATE `code`.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { Results, Transaction } from '@electric-sql/pglite';

const WORKER = fileURLToPath(new URL('./pglite-worker.mjs', import.meta.url));

interface QueryOptions {
  rowMode?: 'array' | 'object';
}

/** A database error as the thread sends it: PGlite's message and fields (`code`, `detail`…). */
interface ErrorData {
  name: string;
  message: string;
  [field: string]: unknown;
}

type Reply = { id: number; result?: unknown; error?: ErrorData };
type Notification = { listen: number; payload: string };
type Started = { ready: true } | { failed: ErrorData };

function toError(data: ErrorData): Error {
  const { name, message, ...fields } = data;
  return Object.assign(new Error(message), { name }, fields);
}

/** The statements of one open transaction, as Drizzle's PGlite session calls them. */
type ThreadTransaction = Pick<Transaction, 'query' | 'exec' | 'rollback' | 'closed'>;

export class PGliteThread {
  #nextId = 1;
  #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  #listeners = new Map<number, (payload: string) => void>();
  #stopped: Error | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (message: Reply | Notification) => {
      if ('listen' in message) {
        this.#listeners.get(message.listen)?.(message.payload);
        return;
      }
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.error) pending.reject(toError(message.error));
      else pending.resolve(message.result);
    });
    const stop = (error: Error): void => {
      this.#stopped ??= error;
      for (const { reject } of this.#pending.values()) reject(this.#stopped);
      this.#pending.clear();
    };
    worker.on('error', (error) =>
      stop(new Error(`The embedded database stopped: ${error.message}`)),
    );
    worker.on('exit', () => stop(new Error('The embedded database is closed.')));
  }

  /**
   * Starts the thread and opens the database in `dir` (creating it when new), migrated.
   *
   * @example
   * const client = await PGliteThread.open({ dir: './.lucid/db', conf: ['shared_buffers=32MB'], migrationsFolder });
   */
  static async open(options: {
    dir: string;
    conf: string[];
    migrationsFolder: string;
  }): Promise<PGliteThread> {
    const worker = new Worker(WORKER, { workerData: options, execArgv: [] });
    let onMessage = (_: Started): void => {};
    let onError = (_: Error): void => {};
    let onExit = (_: number): void => {};
    const started = await new Promise<Started>((resolve, reject) => {
      onMessage = resolve;
      onError = reject;
      onExit = (code) =>
        reject(new Error(`The embedded database's thread ended (exit code ${code}).`));
      worker.once('message', onMessage).once('error', onError).once('exit', onExit);
    }).finally(() => worker.off('message', onMessage).off('error', onError).off('exit', onExit));
    if ('failed' in started) {
      await worker.terminate();
      throw toError(started.failed);
    }
    return new PGliteThread(worker);
  }

  get closed(): boolean {
    return this.#stopped !== null;
  }

  #call<T>(message: Record<string, unknown>): Promise<T> {
    if (this.#stopped) return Promise.reject(this.#stopped);
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ ...message, id });
    });
  }

  query<T>(sql: string, params: unknown[] = [], options: QueryOptions = {}): Promise<Results<T>> {
    return this.#call({ op: 'query', sql, params, rowMode: options.rowMode });
  }

  exec(sql: string): Promise<Results[]> {
    return this.#call({ op: 'exec', sql });
  }

  /** Runs `callback` in a transaction: committed when it resolves, rolled back when it throws. */
  async transaction<T>(callback: (tx: ThreadTransaction) => Promise<T>): Promise<T> {
    const id = await this.#call<number>({ op: 'begin' });
    let closed = false;
    const rollback = new Error('The transaction was rolled back.');
    const tx: ThreadTransaction = {
      query: <R>(sql: string, params: unknown[] = [], options: QueryOptions = {}) =>
        this.#call<Results<R>>({ op: 'query', sql, params, rowMode: options.rowMode, tx: id }),
      exec: (sql: string) => this.#call<Results[]>({ op: 'exec', sql, tx: id }),
      rollback: () => Promise.reject(rollback),
      get closed() {
        return closed;
      },
    };
    let result: T;
    try {
      result = await callback(tx);
    } catch (error) {
      closed = true;
      await this.#call({ op: 'end', tx: id, commit: false }).catch(() => {});
      throw error;
    }
    closed = true;
    await this.#call({ op: 'end', tx: id, commit: true });
    return result;
  }

  /** Calls `onPayload` with each notification on `channel`; resolves to a function that stops. */
  async listen(
    channel: string,
    onPayload: (payload: string) => void,
  ): Promise<() => Promise<void>> {
    const id = this.#nextId++;
    this.#listeners.set(id, onPayload);
    await this.#call({ op: 'listen', channel, listenId: id });
    return async () => {
      this.#listeners.delete(id);
      if (!this.closed) await this.#call({ op: 'unlisten', listen: id });
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.#call({ op: 'close' });
    await new Promise<void>((resolve) => {
      if (this.closed) resolve();
      else this.worker.once('exit', () => resolve());
    });
  }
}
