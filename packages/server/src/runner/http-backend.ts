/**
 * @module runner/http-backend
 * The runner backend of `lucid runner` on another host: Lucid's runner API over HTTP, with the
 * runner token as bearer. A claim is a long poll: Lucid answers it the moment a run is queued. A
 * network failure throws, and the runner retries with backoff; a refusal (4xx) throws a
 * `BackendRefusal`. A call no server answered (its server died under it, behind a balancer that
 * hands the next one to another server) is sent again for a few seconds; an append sent again says
 * so, and Lucid stores it only if the first sending was not stored. A call about a traced run
 * carries the run's trace context (`traceparent`), so Lucid's log lines of it name the run's trace.
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
  /** The trace context of each traced run held (its root span, from the claim), by run id. */
  private readonly traces = new Map<string, string>();

  constructor(
    private readonly server: string,
    private readonly token: string,
  ) {}

  async claim(signal?: AbortSignal, options?: { wait?: boolean }): Promise<ClaimedRun | null> {
    try {
      const claim = await this.call(
        '/runner/claim',
        { waitMs: options?.wait === false ? 0 : CLAIM_WAIT_MAX_MS },
        ClaimedRun,
        { emptyIsNull: true, signal },
      );
      if (claim?.trace) this.traces.set(claim.run.id, claim.trace.parent);
      return claim;
    } catch (error) {
      if (signal?.aborted) return null;
      throw error;
    }
  }

  async renew(runId: string): Promise<LeaseAnswer> {
    const answer = await this.call(`/runner/runs/${runId}/lease`, {}, LeaseAnswer);
    if (answer.lost) this.traces.delete(runId);
    return answer;
  }

  async append(runId: string, events: EventBody[]): Promise<void> {
    for (let i = 0; i < events.length; i += 500) {
      const batch = events.slice(i, i + 500);
      await this.call(`/runner/runs/${runId}/events`, { events: batch }, null, {
        resend: { events: batch, retried: true },
      });
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
    this.traces.delete(runId);
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
    options: CallOptions & { emptyIsNull: true },
  ): Promise<T | null>;
  private async call<T>(path: string, body: unknown, schema: z.ZodType<T>): Promise<T>;
  private async call(
    path: string,
    body: unknown,
    schema: null,
    options?: CallOptions,
  ): Promise<void>;
  private async call<T>(
    path: string,
    body: unknown,
    schema: z.ZodType<T> | null,
    { emptyIsNull = false, signal, resend = body }: CallOptions = {},
  ): Promise<T | null | void> {
    const url = new URL(`${this.server}/api/v1${path}`);
    const traceparent = this.traces.get(/^\/runner\/runs\/([^/]+)\//.exec(path)?.[1] ?? '');
    const headers = {
      authorization: `Bearer ${this.token}`,
      'content-type': 'application/json',
      ...(traceparent ? { traceparent } : {}),
    };
    const { status, text } = signal
      ? await postOnce(url, headers, JSON.stringify(body), {
          signal,
          timeoutMs: CLAIM_WAIT_MAX_MS + CALL_TIMEOUT_MS,
        })
      : await postUntilAnswered(url, headers, body, resend);
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

interface CallOptions {
  /** A 204 answers null (a claim with no work). */
  emptyIsNull?: boolean;
  /** A long poll this ends, on a connection of its own; not sent again. */
  signal?: AbortSignal | undefined;
  /** What is sent in the body's place when the call is sent again (the body by default). */
  resend?: unknown;
}

/** How long a call cut off on its way (its server went away) is sent again, at most. */
const RESEND_FOR_MS = 10_000;

/**
 * POSTs `body`, and `again` in its place while no server answers it: the connection failed or was
 * cut, or a proxy in front answered that its server is gone (502, 503, 504). Another server behind
 * the same address takes it; a call whose first sending may have been stored says so in `again`.
 */
async function postUntilAnswered(
  url: URL,
  headers: Record<string, string>,
  body: unknown,
  again: unknown,
): Promise<{ status: number; text: string }> {
  const deadline = Date.now() + RESEND_FOR_MS;
  for (let attempt = 0; ; attempt++) {
    const answer = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(attempt === 0 ? body : again),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    }).then(
      async (response) => ({ status: response.status, text: await response.text() }),
      (error: unknown) => {
        // fetch's TypeError: no answer came (refused, reset, cut); a timeout is not resent.
        if (error instanceof TypeError) return error;
        throw error;
      },
    );
    const unanswered = answer instanceof TypeError || [502, 503, 504].includes(answer.status);
    if (!unanswered || Date.now() >= deadline) {
      if (answer instanceof TypeError) throw answer;
      return answer;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 100 * 2 ** attempt)));
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
