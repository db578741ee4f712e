/**
 * @module runner/backend
 * What a runner needs from Lucid, as a port: claim runs, keep their leases, report events and
 * outcomes, and look after the sandboxes it made (which tasks still use them, snapshots of reaped
 * ones). The in-process runner talks to the database directly (runner/db-backend.ts); a runner on
 * another host talks to the runner API over HTTP (runner/http-backend.ts). Same runner code for both.
 */
import type {
  ClaimedRun,
  EventBody,
  FinishRunBody,
  InboxMessage,
  LeaseAnswer,
  RunnerHeartbeatAnswer,
  SnapshotGrant,
} from '@lucid/contracts';

export interface RunnerBackend {
  /** The oldest queued run this runner may take, now leased to it; null when none waits. */
  claim(): Promise<ClaimedRun | null>;
  /** Renews the run's lease; says whether it was lost or a cancel was asked for. */
  renew(runId: string): Promise<LeaseAnswer>;
  append(runId: string, events: EventBody[]): Promise<void>;
  /** The user's follow-ups to the run's task after sequence number `after`, oldest first. */
  inbox(runId: string, after: number): Promise<InboxMessage[]>;
  attachSandbox(runId: string, sandboxId: string): Promise<void>;
  /** Reports the end of a run; false when the run was no longer this runner's. */
  finish(runId: string, outcome: FinishRunBody): Promise<boolean>;
  /** Tells Lucid the runner is alive and how many runs it can take; answers the runner's id. */
  heartbeat(capacity: number): Promise<RunnerHeartbeatAnswer>;
  /** Which of these sandboxes a task this runner worked on still uses: sandbox id → task id. */
  sandboxTasks(sandboxIds: string[]): Promise<Record<string, string>>;
  /** Where and with what token to push the snapshot of a task's sandbox; null: nothing to keep. */
  snapshotGrant(taskId: string, sandboxId: string): Promise<SnapshotGrant | null>;
  /** Records the snapshot of a reaped sandbox (null: it held no repository); the task lets go of it. */
  recordSnapshot(taskId: string, sandboxId: string, sha: string | null): Promise<void>;
}
