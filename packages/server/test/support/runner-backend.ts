/**
 * Tests that play the runner: a runner backend on a test server's database, as the server's own
 * runner has one, and a task whose run it has claimed (with the run's token).
 */
import { expect } from 'vitest';
import { DbRunnerBackend } from '../../src/control/runner-backend.ts';
import type { RunningServer } from '../../src/server.ts';
import type { TestUser } from './client.ts';
import { startTask } from './tasks.ts';

export function runnerBackendOn(server: RunningServer, runnerId: string): DbRunnerBackend {
  return new DbRunnerBackend({
    db: server.database.db,
    live: server.live,
    runnerId,
    leaseMs: 60_000,
    maxRuntimeMs: 600_000,
    sandboxUrl: server.url,
    gatewayUrl: `${server.url}/llm`,
    agentMaxSteps: 10,
  });
}

/**
 * Starts a command task and claims its run with `backend`, as a runner would.
 *
 * @example
 * const { runId, token } = await claimedRun(server, backend, user, repoId);
 */
export async function claimedRun(
  server: RunningServer,
  backend: DbRunnerBackend,
  owner: TestUser,
  repoId: string,
): Promise<{ taskId: string; runId: string; token: string }> {
  const { task, run } = await startTask(server.url, owner, {
    repoId,
    prompt: 'claimed',
    commands: ['true'],
  });
  const claim = await backend.claim();
  expect(claim?.run.id).toBe(run.id);
  return { taskId: task.id, runId: run.id, token: claim?.git.token ?? '' };
}
