/**
 * @module runner/http-backend
 * The runner backend of `lucid runner` on another host: Lucid's runner API over HTTP, with the
 * runner token as bearer. A claim is a long poll: Lucid answers it the moment a run is queued. A
 * network failure throws, and the runner retries with backoff; a refusal (4xx) throws a
 * `BackendRefusal`.
 */
import {
  CLAIM_WAIT_MAX_MS,
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
import http from 'node:http';
import https from 'node:https';
import { z } from 'zod';
import { BackendRefusal, type RunnerBackend } from './backend.ts';

/** How long a call may take before the runner gives up on it (a claim: beyond its wait). */
const CALL_TIMEOUT_MS = 30_000;

export class HttpRunnerBackend implements RunnerBackend {
  readonly waitsForWork = true;

  constructor(
    private readonly server: string,
    private readonly token: string,
  ) {}

  async claim(signal?: AbortSignal, options?: { wait?: boolean }): Promise<ClaimedRun | null> {
    try {
      return await this.call(
        '/runner/claim',
        { waitMs: options?.wait === false ? 0 : CLAIM_WAIT_MAX_MS },
        ClaimedRun,
        true,
        signal,
      );
    } catch (error) {
      if (signal?.aborted) return null;
      throw error;
    }
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

  async handBack(runId: string): Promise<boolean> {
    const answer = await this.call(
      `/runner/runs/${runId}/hand-back`,
      {},
      z.object({ handedBack: z.boolean() }),
    );
    return answer.handedBack;
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
    signal?: AbortSignal,
  ): Promise<T | null>;
  private async call<T>(path: string, body: unknown, schema: z.ZodType<T>): Promise<T>;
  private async call(path: string, body: unknown, schema: null): Promise<void>;
  private async call<T>(
    path: string,
    body: unknown,
    schema: z.ZodType<T> | null,
    emptyIsNull = false,
    signal?: AbortSignal,
  ): Promise<T | null | void> {
    const url = new URL(`${this.server}/api/v1${path}`);
    const headers = { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' };
    const { status, text } = signal
      ? await postOnce(url, headers, JSON.stringify(body), {
          signal,
          timeoutMs: CLAIM_WAIT_MAX_MS + CALL_TIMEOUT_MS,
        })
      : await fetch(url, {
          method: 'POST',
          headers,
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
        }).then(async (response) => ({ status: response.status, text: await response.text() }));
    if (status === 204) {
      if (schema && !emptyIsNull) throw new Error(`Lucid answered ${path} with no body`);
      return emptyIsNull ? null : undefined;
    }
    if (status < 200 || status >= 300) {
      let message = text.slice(0, 300);
      try {
        message = (JSON.parse(text) as { error: { message: string } }).error.message;
      } catch {
        // not Lucid's error body: keep the text
      }
      const said = `Lucid answered ${status} to ${path}: ${message}`;
      if (status >= 400 && status < 500 && ![408, 429].includes(status))
        throw new BackendRefusal(status, said);
      throw new Error(said);
    }
    return schema ? schema.parse(JSON.parse(text)) : undefined;
  }
}

/**
 * One POST on a connection of its own, closed after it: a long poll that `signal` ends closes
 * its connection and leaves none behind (fetch would open a new one to the server after an abort).
 */
function postOnce(
  url: URL,
  headers: Record<string, string>,
  body: string,
  { signal, timeoutMs }: { signal: AbortSignal; timeoutMs: number },
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        agent: false,
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
