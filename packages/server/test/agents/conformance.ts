/**
 * @module test/agents/conformance
 * The behaviour every agent must have, as one vitest suite, like the sandbox drivers' suite. An
 * agent's test file calls `agentConformance(subject, makeHarness)`: the subject names the agent and
 * gives the fake LLM's script in the agent's own tools (write `hello.txt`, run the test, commit,
 * answer); the harness gives the sandbox driver (and any environment the server needs). The suite
 * runs a task through a real server, runner and sandbox and checks what every agent owes Lucid:
 * normalised events, an outcome, the commit on the task branch, the usage the fake reported, and
 * no secret where the agent or the model provider could see it.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentName } from '@lucid/contracts';
import { costOf } from '../../src/llm/cost.ts';
import type { SandboxDriver } from '../../src/sandbox/driver.ts';
import { LocalDriver } from '../../src/sandbox/local/local-driver.ts';
import {
  startFakeLlm,
  type FakeLlm,
  type RecordedRequest,
  type ScriptStep,
} from '../fakes/llm/index.ts';
import { request, signUp, type TestUser } from '../support/client.ts';
import { fakeProviderEnv } from '../support/providers.ts';
import { pushedRepo, taskEvents, waitForStatus, type EventView } from '../support/tasks.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

export const PROMPT = 'Add hello.txt saying "hello from lucid", run the test, and commit.';
/**
 * The test the trajectory runs; it prints TESTS PASS when it passes. It first shows the
 * environment and the workspace's git settings (whose credentials file holds the run token), so
 * the suite sees that the token reaches neither the events nor the model provider.
 */
export const TEST_COMMAND =
  'env; cat .git/config .git/lucid-credentials; test "$(cat hello.txt)" = "hello from lucid" && echo TESTS PASS';
export const COMMIT_COMMAND = 'git add -A && git commit -qm "Add hello.txt"';
export const FINAL_TEXT = 'Added hello.txt; the test passes.';

const KEYS = {
  anthropic: 'sk-ant-conformance-0123456789abcdef',
  openai: 'sk-openai-conformance-0123456789abcdef',
  compatible: 'sk-local-conformance-0123456789abcdef',
  gemini: 'AIzaGeminiConformance0123456789abcdef',
};

export interface AgentSubject {
  agent: AgentName;
  /** `provider/name`, as the task asks for it. */
  model: string;
  /** The fake's answers, in the agent's own tools: write hello.txt, run TEST_COMMAND, run COMMIT_COMMAND, answer FINAL_TEXT. */
  trajectory: ScriptStep[];
  /** Files in the sandbox the agent's configuration lives in (checked for secrets). */
  configFiles?: string[];
  /** How long a run may take (installing a CLI included). */
  timeoutMs?: number;
}

export interface AgentHarness {
  driver: SandboxDriver;
  /** Extra server environment (enabled agents, caches). */
  env?: Record<string, string>;
  cleanup?: () => Promise<void>;
}

/** A harness on the local driver, in a temporary folder. */
export async function localHarness(): Promise<AgentHarness> {
  return { driver: new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) }) };
}

const ofType = (events: EventView[], type: string) => events.filter((e) => e.type === type);

/**
 * @example
 * agentConformance({ agent: 'lucid', model: 'anthropic/claude-sonnet-4-5', trajectory }, localHarness);
 */
export function agentConformance(
  subject: AgentSubject,
  makeHarness: () => Promise<AgentHarness>,
  options: { skip?: boolean; label?: string } = {},
): void {
  const timeoutMs = subject.timeoutMs ?? 60_000;
  const name = `the ${subject.agent} agent (${subject.model}${options.label ? `, ${options.label}` : ''})`;
  describe.skipIf(options.skip === true)(name, () => {
    let llm: FakeLlm;
    let harness: AgentHarness;
    let server: TestServer;
    let user: TestUser;
    let repoId: string;
    let task: { id: string; branch: string };
    let status: string;
    let events: EventView[];

    beforeAll(async () => {
      llm = await startFakeLlm();
      harness = await makeHarness();
      server = await startTestServer({
        env: {
          ...fakeProviderEnv(llm.url, KEYS),
          LUCID_DEFAULT_MODEL: subject.model,
          ...harness.env,
        },
        runner: {
          driver: harness.driver,
          slots: 1,
          leaseMs: 5_000,
          maxRuntimeMs: timeoutMs,
          pollMs: 100,
          warmPool: 0,
        },
      });
      user = await signUp(server.url);
      repoId = (await pushedRepo(server.url, user, `conformance-${subject.agent}`)).id;

      llm.script(subject.trajectory);
      const created = await request<{ task: { id: string; branch: string } }>(
        server.url,
        'POST',
        '/api/v1/tasks',
        {
          token: user.token,
          json: { repoId, prompt: PROMPT, model: subject.model, agent: subject.agent },
        },
      );
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      task = created.body.task;
      const done = await waitForStatus(
        server.url,
        user,
        task.id,
        ['in_review', 'failed', 'cancelled'],
        timeoutMs,
      );
      status = done.status;
      events = await taskEvents(server.url, user, task.id);
    }, timeoutMs + 60_000);

    afterAll(async () => {
      await server?.close();
      await llm?.close();
      // The task's sandbox is kept for a follow-up; nothing follows here.
      for (const info of task && harness
        ? await harness.driver.list({ 'lucid.task': task.id })
        : []) {
        await (await harness.driver.get(info.id))?.remove();
      }
      await harness?.cleanup?.();
    });

    it('finishes the task: writes the file, runs the test, commits', () => {
      expect(
        status,
        JSON.stringify(events.filter((e) => e.type === 'error' || e.type === 'run.status')),
      ).toBe('in_review');
      expect(llm.remainingSteps()).toBe(0);
      expect(ofType(events, 'message.user')).toMatchObject([{ text: PROMPT }]);
      const calls = ofType(events, 'tool.call');
      const results = ofType(events, 'tool.result');
      expect(calls.length).toBeGreaterThanOrEqual(3);
      expect(results.length).toBe(calls.length);
      expect(results.every((e) => e.ok === true)).toBe(true);
      expect(calls.every((e) => typeof e.tool === 'string' && typeof e.input === 'object')).toBe(
        true,
      );
      expect(JSON.stringify(calls)).toContain('hello from lucid');
      expect(
        ofType(events, 'tool.output')
          .map((e) => String(e.chunk))
          .join(''),
      ).toContain('TESTS PASS');
      expect(ofType(events, 'message.assistant').at(-1)).toMatchObject({ text: FINAL_TEXT });
    });

    it('leaves its commit on the task branch', async () => {
      const commits = await request<{ commits: { sha: string; subject: string }[] }>(
        server.url,
        'GET',
        `/api/v1/repos/${repoId}/commits?ref=${encodeURIComponent(task.branch)}`,
        { token: user.token },
      );
      expect(commits.status).toBe(200);
      expect(commits.body.commits.map((c) => c.subject)).toEqual(['Add hello.txt', 'first commit']);
      expect(ofType(events, 'git.push')).toMatchObject([
        { branch: task.branch, sha: commits.body.commits[0]?.sha },
      ]);
    });

    it('records the usage and cost the model provider reported', () => {
      const reported = llm.requests.filter((r) => r.usage !== undefined);
      expect(reported.length).toBeGreaterThanOrEqual(subject.trajectory.length);
      const usages = ofType(events, 'usage');
      expect(usages.length).toBe(reported.length);
      const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
      // Lucid counts all input, cached included; the fake's script counts uncached input alone.
      const input = (u: NonNullable<RecordedRequest['usage']>) =>
        u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens;
      expect(sum(usages.map((e) => Number(e.inputTokens)))).toBe(
        sum(reported.map((r) => input(r.usage!))),
      );
      expect(sum(usages.map((e) => Number(e.outputTokens)))).toBe(
        sum(reported.map((r) => r.usage!.outputTokens)),
      );
      const provider = subject.model.split('/')[0];
      const expectedCost = sum(
        reported.map((r) => {
          // Gemini names the model in the path (`/v1beta/models/{model}:…`), the others in the body.
          const name =
            (r.body as { model?: string }).model ?? /\/models\/([^/:]+):/.exec(r.path)?.[1];
          const model = `${provider}/${name}`;
          return costOf(model, {
            inputTokens: input(r.usage!),
            outputTokens: r.usage!.outputTokens,
            cachedInputTokens: r.usage!.cacheReadTokens,
            cacheWriteTokens: r.usage!.cacheWriteTokens,
          }).usd;
        }),
      );
      expect(sum(usages.map((e) => Number(e.costUsd)))).toBeCloseTo(expectedCost, 9);
    });

    it('shows no provider key or forge token to the agent, and no Lucid secret to the provider', async () => {
      const runs = await request<{ runs: { sandboxId: string }[] }>(
        server.url,
        'GET',
        `/api/v1/tasks/${task.id}/runs`,
        { token: user.token },
      );
      const sandbox = await harness.driver.get(runs.body.runs[0]?.sandboxId ?? '');
      expect(sandbox).not.toBeNull();
      const files = ['~/.gitconfig', '~/.git-credentials', ...(subject.configFiles ?? [])];
      const seen = await sandbox!.exec([
        'bash',
        '-c',
        `env; for f in ${files.join(' ')}; do cat "$f" 2>/dev/null; done; true`,
      ]);
      expect(seen.exitCode).toBe(0);
      const encryptionKey = server.config.encryptionKey.toString('base64');
      for (const secret of [...Object.values(KEYS), user.token, encryptionKey]) {
        expect(seen.stdout).not.toContain(secret);
        expect(JSON.stringify(events)).not.toContain(secret);
      }
      const gitConfig = await sandbox!.exec(['cat', '/workspace/.git/lucid-credentials']);
      const basic = /Authorization: Basic (\S+)/.exec(gitConfig.stdout)?.[1] ?? '';
      const runToken = Buffer.from(basic, 'base64').toString('utf8').split(':')[1] ?? '';
      expect(runToken.length).toBeGreaterThan(10);
      expect(JSON.stringify(events)).not.toContain(runToken);
      const bodies = JSON.stringify(llm.requests.map((r) => r.body));
      expect(bodies).not.toContain(runToken);
      const headers = JSON.stringify(llm.requests.map((r) => r.headers));
      for (const secret of [...Object.values(KEYS), user.token, encryptionKey]) {
        expect(bodies).not.toContain(secret);
      }
      for (const secret of [user.token, encryptionKey, runToken]) {
        expect(headers).not.toContain(secret);
      }
    });
  });
}
