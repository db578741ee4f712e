/**
 * @module tasks/domain-events
 * What happened to runs, tasks and jobs, told in process once it is committed. Domain code records an event
 * with {@link emitAfterCommit} on the database handle it writes with; the event reaches the
 * subscribers of the {@link DomainEvents} bus attached to that database when the outermost
 * transaction commits (at once when no transaction is open), and never when it rolls back; an
 * in-transaction subscriber ({@link DomainEvents.within}) writes inside that transaction just before
 * it commits, so a follow-up job is stored with the change that asks for it or not at all.
 * Subscribers are wired once, by the composition root: waking the runner, storing jobs.
 */
import type { TaskStatus } from '@lucid/contracts';
import type { Db } from '../db/client.ts';

/** A run, by id, and its task. */
interface RunRef {
  runId: string;
  taskId: string;
}

/** The task events `tasks/lifecycle.ts` tells when a task's status changes. */
export type TaskDomainEventType =
  | 'task.in_review'
  | 'task.failed'
  | 'task.cancelled'
  | 'task.approved'
  | 'task.done'
  | 'task.rejected'
  /** A planning run's plan waits in review: auto mode approves it at once (tasks/plan.ts). */
  | 'task.plan_review';

/** A task's move, one member per type (so `Extract` finds each). */
type TaskMoved<T extends TaskDomainEventType> = T extends TaskDomainEventType
  ? { type: T; taskId: string; from: TaskStatus; to: TaskStatus }
  : never;

/** A run's end, timed when it had started: from its claim, and from its queueing to its first tool call. */
interface RunEnd extends RunRef {
  durationMs?: number;
  firstToolCallMs?: number;
}

/** A pull or merge request of a run's work: the commit published, its number and address. */
type PullRequestRef = RunRef & { sha: string; number: number; url: string };

/** Every domain event, by type. */
export type DomainEvent =
  | ({ type: 'run.queued' } & RunRef)
  | ({ type: 'run.started'; waitedMs: number } & RunRef)
  | ({ type: 'run.succeeded' } & RunEnd)
  | ({ type: 'run.failed' } & RunEnd)
  | ({ type: 'run.cancelled' } & RunEnd)
  | TaskMoved<TaskDomainEventType>
  /**
   * The publish job opened a pull or merge request for the task's work (`pr.opened`), or
   * refreshed it with new commits (`pr.updated`): forges/publish-run.ts.
   */
  | ({ type: 'pr.opened' } & PullRequestRef)
  | ({ type: 'pr.updated' } & PullRequestRef)
  /**
   * One attempt of a best-of-N task was kept (tasks/attempts.ts): its branch, pushed by `runId`
   * (null: no run succeeded), is the task's; the others' are to go.
   */
  | { type: 'attempt.kept'; taskId: string; attemptId: string; runId: string | null }
  | { type: 'job.queued'; jobId: string; kind: string };

export type DomainEventType = DomainEvent['type'];

type Handler<T extends DomainEventType> = (event: Extract<DomainEvent, { type: T }>) => void;
type WithinHandler<T extends DomainEventType> = (
  event: Extract<DomainEvent, { type: T }>,
  tx: Db,
) => Promise<unknown>;

/**
 * A typed in-process bus. A subscriber that throws is reported to `onError`; the others still hear
 * the event.
 *
 * @example
 * const bus = new DomainEvents((error) => log.error({ err: error }, 'a subscriber failed'));
 * bus.on('run.queued', () => runner.wake());
 */
export class DomainEvents {
  private readonly handlers = new Map<DomainEventType, Set<(event: DomainEvent) => void>>();
  private readonly withinHandlers = new Map<
    DomainEventType,
    Set<(event: DomainEvent, tx: Db) => Promise<unknown>>
  >();

  constructor(private readonly onError: (error: unknown, event: DomainEvent) => void = () => {}) {}

  /** Calls `handler` with every later event of `type`; answers a function that stops it. */
  on<T extends DomainEventType>(type: T, handler: Handler<T>): () => void {
    const set = this.handlers.get(type) ?? new Set();
    this.handlers.set(type, set);
    const untyped = handler as (event: DomainEvent) => void;
    set.add(untyped);
    return () => set.delete(untyped);
  }

  /**
   * Calls `handler` with every later event of `type` recorded in a transaction, inside that
   * transaction just before it commits, so what the handler writes with `tx` (a durable job) is
   * committed with the change or not at all; a handler that throws rolls the transaction back.
   * Events recorded outside a transaction never reach it: code whose follow-up must be durable
   * records its event in a transaction.
   *
   * @example
   * bus.within('run.succeeded', (run, tx) => enqueuePublish(tx, run));
   */
  within<T extends DomainEventType>(type: T, handler: WithinHandler<T>): () => void {
    const set = this.withinHandlers.get(type) ?? new Set();
    this.withinHandlers.set(type, set);
    const untyped = handler as (event: DomainEvent, tx: Db) => Promise<unknown>;
    set.add(untyped);
    return () => set.delete(untyped);
  }

  /** Runs the in-transaction subscribers of the event's type, one after the other. */
  async emitWithin(event: DomainEvent, tx: Db): Promise<void> {
    for (const handler of this.withinHandlers.get(event.type) ?? []) await handler(event, tx);
  }

  /** Tells the subscribers of the event's type, in the order they subscribed. */
  emit(event: DomainEvent): void {
    for (const handler of this.handlers.get(event.type) ?? []) {
      try {
        handler(event);
      } catch (error) {
        this.onError(error, event);
      }
    }
  }
}

/** The bus each database handle delivers to (the composition root's). */
const buses = new WeakMap<object, DomainEvents>();
/** The events waiting for each open transaction to commit, and its root handle. */
const pending = new WeakMap<object, { root: object; events: DomainEvent[] }>();
/** Handles whose `transaction` already collects events. */
const collecting = new WeakSet<object>();

type Transactional = Pick<Db, 'transaction'>;

/**
 * Makes `transaction` of `handle` (and of the transactions and savepoints it opens) hold the
 * events recorded inside until it commits; a savepoint's join its parent's when it is released.
 */
function collect(handle: Transactional, root: object, into: DomainEvent[] | null): void {
  if (collecting.has(handle)) return;
  collecting.add(handle);
  const original = handle.transaction.bind(handle);
  handle.transaction = (async (run: (tx: Transactional) => Promise<unknown>, config?: unknown) => {
    const events: DomainEvent[] = [];
    const result = await (original as (...args: unknown[]) => Promise<unknown>)(
      async (tx: Transactional) => {
        pending.set(tx, { root, events });
        collect(tx, root, events);
        const result = await run(tx);
        // The outermost transaction runs the in-transaction subscribers before it commits; events
        // they record themselves join the list and are heard too.
        const bus = into ? undefined : buses.get(root);
        if (bus)
          for (let i = 0; i < events.length; i += 1) await bus.emitWithin(events[i]!, tx as Db);
        return result;
      },
      config,
    );
    if (into) into.push(...events);
    else for (const event of events) buses.get(root)?.emit(event);
    return result;
  }) as Db['transaction'];
}

/**
 * Delivers the events recorded on `db` and its transactions to `bus` from now on, each once its
 * transaction commits. Called once per database by the composition root; a later call replaces
 * the bus (a server started again on the same database).
 *
 * @example
 * deliverDomainEvents(database.db, bus);
 */
export function deliverDomainEvents(db: Db, bus: DomainEvents): () => void {
  buses.set(db, bus);
  collect(db, db, null);
  return () => {
    if (buses.get(db) === bus) buses.delete(db);
  };
}

/**
 * Records an event on the handle the change was written with: a transaction's waits for its
 * commit, the database's own is delivered at once. Nothing hears it when the database has no bus
 * (a tool or test using the domain alone).
 *
 * @example
 * emitAfterCommit(tx, { type: 'run.queued', runId: run.id, taskId });
 */
export function emitAfterCommit(db: Db, event: DomainEvent): void {
  const open = pending.get(db);
  if (open) open.events.push(event);
  else buses.get(db)?.emit(event);
}
