/**
 * @module auth/async-context
 * better-auth keeps each call's state in three `AsyncLocalStorage`s. On Node 20 the first `run` of
 * any such storage turns on async hooks for every promise the process makes, for good: after the
 * first sign-in every streamed token paid for hooks nothing needed (a third more CPU on the
 * agent's model stream). Here each of better-auth's storages turns itself off again when none of
 * its own runs is under way; the next run turns it on. better-auth awaits everything it starts
 * within a run, so no part of a call outlives the run that holds its state.
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import {
  getCurrentAuthContextAsyncLocalStorage,
  getCurrentDBAdapterAsyncLocalStorage,
  getRequestStateAsyncLocalStorage,
} from '@better-auth/core/context';

const quieted = new WeakSet<AsyncLocalStorage<unknown>>();

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Makes `storage` disable itself whenever its last run (and the promise it returned) ends. */
function idleWhenUnused(storage: AsyncLocalStorage<unknown>): void {
  if (quieted.has(storage)) return;
  quieted.add(storage);
  const run = storage.run.bind(storage);
  let running = 0;
  const ended = (): void => {
    running -= 1;
    if (running === 0) storage.disable();
  };
  storage.run = <R>(store: unknown, callback: (...args: unknown[]) => R, ...args: unknown[]): R => {
    running += 1;
    let result: R;
    try {
      result = run(store, callback, ...args);
    } catch (error) {
      ended();
      throw error;
    }
    if (isThenable(result)) result.then(ended, ended);
    else ended();
    return result;
  };
}

/**
 * Has better-auth's storages turn async hooks off between its calls; call once before serving.
 *
 * @example
 * await quietAuthAsyncContext();
 */
export async function quietAuthAsyncContext(): Promise<void> {
  const storages = await Promise.all([
    getCurrentAuthContextAsyncLocalStorage(),
    getRequestStateAsyncLocalStorage(),
    getCurrentDBAdapterAsyncLocalStorage(),
  ]);
  for (const storage of storages) idleWhenUnused(storage as AsyncLocalStorage<unknown>);
}
