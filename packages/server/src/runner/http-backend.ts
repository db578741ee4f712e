/**
 * @module runner/http-backend
 * The runner backend of `lucid runner` on another host: Lucid's runner API over HTTP, with the
 * runner token as bearer. A network failure throws, and the runner retries with backoff; a
 * refusal (4xx) throws a `BackendRefusal`.
 */
import {
  ClaimedRun,
  GoneRunnersAnswer,
  InboxAnswer,
  LeaseAnswer,
  RunnerHeartbeatAnswer,
  SandboxTasksAnswer,
  SnapshotGrantAnswer,
  type EventBody,
  type FinishRunBody,
  type InboxMessage,
  type RunMemoryBody,
  type SnapshotGrant,
} from '@lucid/contracts';
import { z } from 'zod';
import { BackendRefusal, type RunnerBackend } from './backend.ts';

export class HttpRunnerBackend implements RunnerBackend {
  constructor(
    private readonly server: string,
    private readonly token: string,
  ) {}

  async claim(): Promise<ClaimedRun | null> {
    return this.call('/runner/claim', {}, ClaimedRun, true);
  }

  renew(runId: string): Promise<LeaseAnswer> {
    return this.call(`/runner/runs/${runId}/lease`, {}, LeaseAnswer);
  }

  async append(runId: string, events: EventBody[]): Promise<void> {
    for (let i = 0; i < events.length; i += 500) {
      await this.call(`/runner/runs/${runId}/events`, { events: events.slice(i, i + 500) }, null);
    }
  }

  async inbox(runId: string, after: number): Promise<InboxMessage[]> {
    return (await this.call(`/runner/runs/${runId}/inbox`, { after }, InboxAnswer)).messages;
  }

  async draft(runId: string, offset: number, text: string): Promise<void> {
    await this.call(`/runner/runs/${runId}/draft`, { offset, text }, null);
  }

  async remember(runId: string, memory: RunMemoryBody): Promise<void> {
    await this.call(`/runner/runs/${runId}/memory`, memory, null);
  }

  async attachSandbox(runId: string, sandboxId: string): Promise<void> {
    await this.call(`/runner/runs/${runId}/sandbox`, { sandboxId }, null);
  }

  async finish(runId: string, outcome: FinishRunBody): Promise<boolean> {
    const answer = await this.call(
      `/runner/runs/${runId}/finish`,
      outcome,
      z.object({ accepted: z.boolean() }),
    );
    return answer.accepted;
  }

  heartbeat(capacity: number): Promise<RunnerHeartbeatAnswer> {
    return this.call('/runner/heartbeat', { capacity }, RunnerHeartbeatAnswer);
  }

  async sandboxTasks(sandboxIds: string[]): Promise<Record<string, string>> {
    const tasks: Record<string, string> = {};
    for (let i = 0; i < sandboxIds.length; i += 1000) {
      const answer = await this.call(
        '/runner/sandboxes/tasks',
        { sandboxIds: sandboxIds.slice(i, i + 1000) },
        SandboxTasksAnswer,
      );
      Object.assign(tasks, answer.tasks);
    }
    return tasks;
  }

  async snapshotGrant(taskId: string, sandboxId: string): Promise<SnapshotGrant | null> {
    const answer = await this.call(
      `/runner/tasks/${taskId}/snapshot-grant`,
      { sandboxId },
      SnapshotGrantAnswer,
    );
    return answer.grant;
  }

  async recordSnapshot(taskId: string, sandboxId: string, sha: string | null): Promise<void> {
    await this.call(`/runner/tasks/${taskId}/snapshot`, { sandboxId, sha }, null);
  }

  async goneRunners(runnerIds: string[]): Promise<string[]> {
    const gone: string[] = [];
    for (let i = 0; i < runnerIds.length; i += 1000) {
      const answer = await this.call(
        '/runner/runners/gone',
        { runnerIds: runnerIds.slice(i, i + 1000) },
        GoneRunnersAnswer,
      );
      gone.push(...answer.gone);
    }
    return gone;
  }

  private async call<T>(
    path: string,
    body: unknown,
    schema: z.ZodType<T>,
    emptyIsNull: true,
  ): Promise<T | null>;
  private async call<T>(path: string, body: unknown, schema: z.ZodType<T>): Promise<T>;
  private async call(path: string, body: unknown, schema: null): Promise<void>;
  private async call<T>(
    path: string,
    body: unknown,
    schema: z.ZodType<T> | null,
    emptyIsNull = false,
  ): Promise<T | null | void> {
    const response = await fetch(`${this.server}/api/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    if (response.status === 204) {
      if (schema && !emptyIsNull) throw new Error(`Lucid answered ${path} with no body`);
      return emptyIsNull ? null : undefined;
    }
    const text = await response.text();
    if (!response.ok) {
      let message = text.slice(0, 300);
      try {
        message = (JSON.parse(text) as { error: { message: string } }).error.message;
      } catch {
        // not Lucid's error body: keep the text
      }
      const said = `Lucid answered ${response.status} to ${path}: ${message}`;
      if (response.status >= 400 && response.status < 500 && ![408, 429].includes(response.status))
        throw new BackendRefusal(response.status, said);
      throw new Error(said);
    }
    return schema ? schema.parse(JSON.parse(text)) : undefined;
  }
}
