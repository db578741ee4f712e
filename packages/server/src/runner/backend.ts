/**
 * @module runner/backend
 * What a runner needs from Lucid, as a port: claim runs, keep their leases, report events and
 * outcomes (and the text of answers as it streams), and look after the sandboxes it made (which
 * tasks still use them, snapshots of reaped ones) and those whose runner is gone. The in-process
 * runner talks to the database directly (control/runner-backend.ts); a runner on another host talks to
 * the runner API over HTTP (runner/http-backend.ts). Same runner code for both.
 */
import type {
  ClaimedRun,
  EventBody,
  FinishRunBody,
  InboxMessage,
  LeaseAnswer,
  RunMemoryBody,
  RunnerHeartbeatAnswer,
  SnapshotGrant,
} from '@lucid/contracts';

/** How events are appended. */
export interface AppendOptions {
  /**
   * The same events sent again, their first sending having had no answer (its server may have
   * stored them, then died): stored only if the run's newest events are not these already.
   */
  retried?: boolean;
}

/** Lucid as a runner sees it. */
export interface RunnerBackend {
  /**
   * The oldest queued run this runner may take, now leased to it; null when none waits. A backend
   * that `waitsForWork` holds the call until a run is queued or a while has passed (unless
   * `wait` is false: it answers at once); `signal` ends that wait (null).
   */
  claim(signal?: AbortSignal, options?: { wait?: boolean }): Promise<ClaimedRun | null>;
  /**
   * True when `claim` itself waits for work to come (a long poll): the runner asks again at once
   * after an empty answer instead of sleeping its poll interval.
   */
  readonly waitsForWork?: boolean;
  /** Renews the run's lease; says whether it was lost or a cancel was asked for. */
  renew(runId: string): Promise<LeaseAnswer>;
  /** Stores the run's events, in order ({@link AppendOptions}). */
  append(runId: string, events: EventBody[], options?: AppendOptions): Promise<void>;
  /** The user's follow-ups to the run's task after sequence number `after`, oldest first. */
  inbox(runId: string, after: number): Promise<InboxMessage[]>;
  /**
   * Publishes a piece of the answer the run's agent is writing, `offset` being where it starts in
   * that answer's text (0: a new answer). Not stored; the answer's `message.assistant` event is.
   */
  draft(runId: string, offset: number, text: string): Promise<void>;
  attachSandbox(runId: string, sandboxId: string): Promise<void>;
  /**
   * Keeps what the run did for later runs on its task: a step of the built-in agent, as its model
   * saw it (masked), or the session id a CLI agent reported.
   */
  remember(runId: string, memory: RunMemoryBody): Promise<void>;
  /** Reports the end of a run; false when the run was no longer this runner's. */
  finish(runId: string, outcome: FinishRunBody): Promise<boolean>;
  /**
   * Gives a run back unfinished (the runner is shutting down): Lucid queues it again for another
   * runner at once; false when the run had already ended or been taken back.
   */
  handBack(runId: string): Promise<boolean>;
  /** Tells Lucid the runner is alive and how many runs it can take; answers the runner's id. */
  heartbeat(capacity: number): Promise<RunnerHeartbeatAnswer>;
  /** Which of these sandboxes a task this runner worked on still uses: sandbox id → task id. */
  sandboxTasks(sandboxIds: string[]): Promise<Record<string, string>>;
  /** Where and with what token to push the snapshot of a task's sandbox; null: nothing to keep. */
  snapshotGrant(taskId: string, sandboxId: string): Promise<SnapshotGrant | null>;
  /** Records the snapshot of a reaped sandbox (null: it held no repository); the task lets go of it. */
  recordSnapshot(taskId: string, sandboxId: string, sha: string | null): Promise<void>;
  /**
   * Which of these runners (found as the owners of sandboxes on this runner's engine) are gone:
   * their sandboxes may be removed.
   */
  goneRunners(runnerIds: string[]): Promise<string[]>;
}

/**
 * Lucid refused a call (a 4xx answer: the runner's token was removed, the run is not its own…):
 * asking again will not help, unlike a call that could not reach Lucid.
 */
export class BackendRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'BackendRefusal';
  }
}
