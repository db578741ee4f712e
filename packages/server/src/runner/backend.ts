/**
 * @module runner/backend
 * What a runner needs from Lucid, as a port: claim runs, keep their leases, report events and
 * outcomes. The in-process runner talks to the database directly (runner/db-backend.ts); a runner on
 * another host talks to the runner API over HTTP (runner/http-backend.ts). Same runner code for both.
 */
import type { ClaimedRun, EventBody, FinishRunBody, LeaseAnswer } from '@lucid/contracts';

export interface RunnerBackend {
  /** The oldest queued run this runner may take, now leased to it; null when none waits. */
  claim(): Promise<ClaimedRun | null>;
  /** Renews the run's lease; says whether it was lost or a cancel was asked for. */
  renew(runId: string): Promise<LeaseAnswer>;
  append(runId: string, events: EventBody[]): Promise<void>;
  attachSandbox(runId: string, sandboxId: string): Promise<void>;
  /** Reports the end of a run; false when the run was no longer this runner's. */
  finish(runId: string, outcome: FinishRunBody): Promise<boolean>;
  /** Tells Lucid the runner is alive and how many runs it can take. */
  heartbeat(capacity: number): Promise<void>;
}
