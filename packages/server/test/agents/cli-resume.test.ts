/**
 * A CLI agent's follow-up run continues the CLI's own session (Claude Code `--resume`, Codex
 * `exec resume`) while its files are in the task's sandbox: the CLI sends its model the earlier
 * run's tool calls and results itself, and its prompt adds the messages the CLI never read. Once
 * they are gone, the follow-up's prompt tells what the earlier runs did instead. Each CLI, installed at its pinned version, runs against the fake LLM
 * in a local sandbox under bubblewrap.
 */
import { existsSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runs, tasks } from '../../src/db/schema.ts';
import type { SandboxDriver } from '../../src/sandbox/driver.ts';
import {
  offersTools,
  startFakeLlm,
  type FakeLlm,
  type RecordedRequest,
} from '../fakes/llm/index.ts';
import { request, signUp, type TestUser } from '../support/client.ts';
import { fakeProviderEnv } from '../support/providers.ts';
import { pushedRepo, waitForStatus } from '../support/tasks.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { AGENT_CACHE } from './cache.ts';
import { localHarness } from './conformance.ts';

const COMMAND = 'echo resume-mark-$((6 * 7))';
const RECAP = 'What the earlier runs on this task did';
const UNSEEN = 'Mind the tabs, please.';

/** The texts a request's JSON body does not hold (without printing the body, which is long). */
function missing(body: string, texts: string[]): string[] {
  return texts.filter((text) => !body.includes(JSON.stringify(text).slice(1, -1)));
}

const subjects = [
  {
    agent: 'claude-code',
    model: 'anthropic/claude-sonnet-4-5',
    call: { name: 'Bash', input: { command: COMMAND, description: 'Print the mark' } },
    sessions: '/tmp/lucid-agent/claude-code/.claude/projects',
  },
  {
    agent: 'codex',
    model: 'openai/gpt-5',
    call: { name: 'exec_command', input: { cmd: COMMAND } },
    sessions: '/tmp/lucid-agent/codex/.codex/sessions',
  },
] as const;

const bwrap = existsSync('/usr/bin/bwrap');
if (!bwrap) console.log('cli-resume.test.ts: skipped: bubblewrap is not installed');

describe.skipIf(!bwrap).each(subjects)('a $agent follow-up', (subject) => {
  let llm: FakeLlm;
  let driver: SandboxDriver;
  let server: TestServer;
  let user: TestUser;
  let taskId: string;

  beforeAll(async () => {
    llm = await startFakeLlm();
    driver = (await localHarness()).driver;
    server = await startTestServer({
      env: {
        ...fakeProviderEnv(llm.url, {
          anthropic: 'sk-ant-resume-0123456789',
          openai: 'sk-oa-resume-0123456789',
          compatible: 'sk-c-resume-0123456789',
        }),
        LUCID_DEFAULT_MODEL: subject.model,
        LUCID_CLI_AGENTS: subject.agent,
        LUCID_AGENT_CACHE: AGENT_CACHE,
      },
      runner: { driver, slots: 1, leaseMs: 5_000, maxRuntimeMs: 240_000, pollMs: 100, warmPool: 0 },
    });
    user = await signUp(server.url);
    const repoId = (await pushedRepo(server.url, user, `resume-${subject.agent}`)).id;
    llm.script([
      { when: offersTools, text: 'Printing the mark.', toolCalls: [subject.call], delayMs: 400 },
      { when: offersTools, text: 'It printed resume-mark-42.' },
    ]);
    const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: { repoId, prompt: 'Print the mark', agent: subject.agent, model: subject.model },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    taskId = created.body.task.id;
    // A message posted while the CLI works: it reads none, so its next run is told of it.
    while (
      !llm.requests.some((r) => r.protocol && offersTools(r.body as Record<string, unknown>))
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const posted = await request<{ delivery: string }>(
      server.url,
      'POST',
      `/api/v1/tasks/${taskId}/messages`,
      { token: user.token, json: { text: UNSEEN } },
    );
    expect(posted.body.delivery).toBe('next_step');
    await settled();
  }, 300_000);

  afterAll(async () => {
    await server?.close();
    await llm?.close();
    for (const info of taskId ? await driver.list({ 'lucid.task': taskId }) : []) {
      await (await driver.get(info.id))?.remove();
    }
  });

  /** The changes-free run sends the task back to To Do. */
  async function settled(): Promise<void> {
    const done = await waitForStatus(
      server.url,
      user,
      taskId,
      ['todo', 'in_review', 'failed'],
      240_000,
    );
    expect(done.status).toBe('todo');
  }

  /** Posts a follow-up and answers its run; the first request of that run offering tools. */
  async function followUp(text: string): Promise<RecordedRequest> {
    const before = llm.requests.length;
    llm.script([{ when: offersTools, text: 'Done.' }]);
    const posted = await request<{ delivery: string }>(
      server.url,
      'POST',
      `/api/v1/tasks/${taskId}/messages`,
      { token: user.token, json: { text } },
    );
    expect(posted.body.delivery).toBe('new_run');
    await settled();
    const first = llm.requests
      .slice(before)
      .find((r) => r.protocol !== undefined && offersTools(r.body as Record<string, unknown>));
    expect(first).toBeDefined();
    return first!;
  }

  it('keeps the session id the CLI reported with its run', async () => {
    const [run] = await server.database.db.select().from(runs).where(eq(runs.taskId, taskId));
    expect(run?.agentSession).toMatch(/^[\w-]{8,}$/);
  });

  it('resumes the CLI’s session, whose request holds the earlier tool call and its output', async () => {
    const body = JSON.stringify((await followUp('What did it print?')).body);
    expect(
      missing(body, [COMMAND, 'Messages sent while you worked', UNSEEN, 'What did it print?']),
    ).toEqual([]);
    // The command's own output, as the CLI's tool result: no recap says it so.
    expect(body.includes('resume-mark-42\\n')).toBe(true);
    expect(body.includes(RECAP)).toBe(false);
  }, 300_000);

  it('tells what the earlier runs did in the prompt once the session is gone', async () => {
    const [task] = await server.database.db.select().from(tasks).where(eq(tasks.id, taskId));
    const sandbox = await driver.get(task?.sandboxId ?? '');
    expect((await sandbox!.exec(['rm', '-rf', subject.sessions])).exitCode).toBe(0);

    const body = JSON.stringify((await followUp('Print it once more')).body);
    expect(
      missing(body, [RECAP, `(${subject.agent}, succeeded):`, COMMAND, 'Print it once more']),
    ).toEqual([]);
    // A new session: the earlier call is told in words, not sent as the CLI's own tool call.
    expect(body.includes('resume-mark-42\\n')).toBe(false);
  }, 300_000);
});
