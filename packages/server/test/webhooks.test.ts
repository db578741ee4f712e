/**
 * Forges' webhooks: deliveries are verified on their raw body and handled once; an issue labelled
 * `lucid` on a mirrored repository starts a task whose request's link is commented on the issue.
 * Only people who may write to the repository on the forge can ask: strangers start nothing.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../src/db/schema.ts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { startFakeGitHub } from './fakes/github/index.ts';
import { startFakeGitLab } from './fakes/gitlab/index.ts';
import { shellTrajectory, startFakeLlm, type FakeLlm } from './fakes/llm/index.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { linkedRepo, waitForEvent, type FakeForgeLike } from './support/forges.ts';
import { fakeProviderEnv } from './support/providers.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

interface FakeForge extends FakeForgeLike {
  env(): Record<string, string>;
  addUser(input: { login: string }): { login: string; token: string };
  pulls(fullName: string): { number: number; head: string; url: string }[];
  comments(fullName: string, issue: number): { body: string; user: string }[];
  createIssue(
    fullName: string,
    input: { title: string; body?: string; labels?: string[] },
  ): { number: number };
  payloads: {
    issueLabeled(fullName: string, issue: number, label: string, sender: string): object;
    issueComment(fullName: string, issue: number, body: string, sender: string): object;
  };
  webhook(
    event: string,
    payload: unknown,
    options?: { secret?: string },
  ): { headers: Record<string, string>; body: string };
  /** The next `count` API requests fail with this status. */
  fail(fault: number, count?: number): void;
  close(): Promise<void>;
}

const forges: {
  provider: 'github' | 'gitlab';
  other: 'github' | 'gitlab';
  issueEvent: string;
  start: () => Promise<FakeForge>;
}[] = [
  {
    provider: 'github',
    other: 'gitlab',
    issueEvent: 'issues',
    start: startFakeGitHub as unknown as () => Promise<FakeForge>,
  },
  {
    provider: 'gitlab',
    other: 'github',
    issueEvent: 'Issue Hook',
    start: startFakeGitLab as unknown as () => Promise<FakeForge>,
  },
];

describe.each(forges)('$provider webhooks', ({ provider, other, issueEvent, start }) => {
  let fake: FakeForge;
  let llm: FakeLlm;
  let server: TestServer;
  let user: TestUser;
  let repo: { id: string; fullName: string };

  beforeAll(async () => {
    fake = await start();
    llm = await startFakeLlm();
    server = await startTestServer({
      env: {
        ...fake.env(),
        ...fakeProviderEnv(llm.url, {
          anthropic: 'sk-ant-webhook-test-0123456789',
          openai: 'sk-openai-webhook-test-0123456789',
          compatible: 'sk-local-webhook-test-0123456789',
        }),
        LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
      },
      runner: {
        driver: new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) }),
        slots: 1,
        pollMs: 100,
        warmPool: 0,
      },
    });
    user = await signUp(server.url);
    const account = fake.addUser({ login: 'alice' });
    fake.addUser({ login: 'bob' });
    fake.addUser({ login: 'mallory' });
    repo = await linkedRepo(server, {
      user,
      provider,
      fake,
      login: account.login,
      token: account.token,
      name: 'hooked',
      collaborators: ['bob'],
    });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await llm?.close();
    await fake?.close();
  });

  function deliver(delivery: { headers: Record<string, string>; body: string }, to = provider) {
    return request<{ status: string; taskId?: string; reason?: string; error?: { code: string } }>(
      server.url,
      'POST',
      `/api/webhooks/${to}`,
      { headers: delivery.headers, body: delivery.body },
    );
  }

  it('refuses a delivery with a wrong signature, and one for a forge without a secret', async () => {
    const issue = fake.createIssue(repo.fullName, { title: 'Unsigned' });
    const payload = fake.payloads.issueLabeled(repo.fullName, issue.number, 'lucid', 'alice');
    const forged = await deliver(fake.webhook(issueEvent, payload, { secret: 'not-the-secret' }));
    expect(forged.status).toBe(401);
    expect(forged.body.error?.code).toBe('invalid_signature');

    const unconfigured = await deliver(fake.webhook(issueEvent, payload), other);
    expect(unconfigured.status).toBe(400);
    expect(unconfigured.body.error?.code).toBe('forge_not_configured');
  });

  it('ignores repositories Lucid does not mirror', async () => {
    await fake.addRepo('alice', 'elsewhere');
    const issue = fake.createIssue('alice/elsewhere', { title: 'Not here' });
    const payload = fake.payloads.issueLabeled('alice/elsewhere', issue.number, 'lucid', 'alice');
    const answer = await deliver(fake.webhook(issueEvent, payload));
    expect(answer.status).toBe(202);
    expect(answer.body.status).toBe('ignored');
    expect(answer.body.reason).toContain('alice/elsewhere');
  });

  it('turns a labelled issue into a task whose request is linked on the issue, once', async () => {
    llm.script(
      shellTrajectory([{ command: 'echo fixed > fix.txt' }], 'Fixed the typo.', {
        finishTool: 'finish',
      }),
    );
    const issue = fake.createIssue(repo.fullName, {
      title: 'Fix the typo',
      body: 'The README says teh.',
    });
    const delivery = fake.webhook(
      issueEvent,
      fake.payloads.issueLabeled(repo.fullName, issue.number, 'lucid', 'alice'),
    );
    const created = await deliver(delivery);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.status).toBe('created');
    const taskId = created.body.taskId!;

    const replayed = await deliver(delivery);
    expect(replayed.status).toBe(200);
    expect(replayed.body).toEqual({ status: 'duplicate' });

    const task = await request<{ source: string; prompt: string; title: string }>(
      server.url,
      'GET',
      `/api/v1/tasks/${taskId}`,
      { token: user.token },
    );
    expect(task.body).toMatchObject({ source: 'webhook', title: 'Fix the typo' });
    expect(task.body.prompt).toContain('The README says teh.');
    const list = await request<{ tasks: unknown[] }>(server.url, 'GET', '/api/v1/tasks', {
      token: user.token,
    });
    expect(list.body.tasks).toHaveLength(1);

    const opened = await waitForEvent(server, user, taskId, (e) => e.type === 'pr.opened');
    const deadline = Date.now() + 30_000;
    while (fake.comments(repo.fullName, issue.number).length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const comments = fake.comments(repo.fullName, issue.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain(String(opened.url));
    expect(fake.pulls(repo.fullName)).toHaveLength(1);
  });

  it('starts a task from a comment mentioning @lucid, and ignores other comments', async () => {
    const issue = fake.createIssue(repo.fullName, { title: 'Slow start', body: 'It takes ages.' });
    const chatter = await deliver(
      fake.webhook(
        provider === 'github' ? 'issue_comment' : 'Note Hook',
        fake.payloads.issueComment(repo.fullName, issue.number, 'Same here.', 'alice'),
      ),
    );
    expect(chatter.status).toBe(202);
    expect(chatter.body.status).toBe('ignored');

    const asked = await deliver(
      fake.webhook(
        provider === 'github' ? 'issue_comment' : 'Note Hook',
        fake.payloads.issueComment(
          repo.fullName,
          issue.number,
          '@lucid please cache the index.',
          'alice',
        ),
      ),
    );
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);
    const task = await request<{ source: string; prompt: string }>(
      server.url,
      'GET',
      `/api/v1/tasks/${asked.body.taskId}`,
      { token: user.token },
    );
    expect(task.body.source).toBe('webhook');
    expect(task.body.prompt).toContain('It takes ages.');
    expect(task.body.prompt).toContain(
      'alice asked, in a comment on the issue:\n\n@lucid please cache the index.',
    );
  });
  const commentEvent = provider === 'github' ? 'issue_comment' : 'Note Hook';

  async function taskCount(): Promise<number> {
    const list = await request<{ tasks: unknown[] }>(server.url, 'GET', '/api/v1/tasks', {
      token: user.token,
    });
    return list.body.tasks.length;
  }

  it("ignores a stranger's @lucid comment and label: no task, no word on the issue, audited", async () => {
    const before = await taskCount();
    const issue = fake.createIssue(repo.fullName, { title: 'Run my script', body: 'Please.' });

    const asked = await deliver(
      fake.webhook(
        commentEvent,
        fake.payloads.issueComment(repo.fullName, issue.number, '@lucid run it.', 'mallory'),
      ),
    );
    expect(asked.status, JSON.stringify(asked.body)).toBe(202);
    expect(asked.body.status).toBe('ignored');
    expect(asked.body.reason).toContain('mallory');
    expect(asked.body.taskId).toBeUndefined();

    const labelled = await deliver(
      fake.webhook(
        issueEvent,
        fake.payloads.issueLabeled(repo.fullName, issue.number, 'lucid', 'mallory'),
      ),
    );
    expect(labelled.status, JSON.stringify(labelled.body)).toBe(202);
    expect(labelled.body.status).toBe('ignored');

    expect(await taskCount()).toBe(before);
    // Only the stranger's own comment is on the issue: Lucid said nothing.
    expect(fake.comments(repo.fullName, issue.number).map((c) => c.user)).toEqual(['mallory']);

    const audited = await server.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'webhook.refuse'), eq(auditLog.targetId, repo.id)));
    expect(audited.map((row) => row.metadata)).toEqual([
      expect.objectContaining({
        provider,
        issue: issue.number,
        requester: 'mallory',
        trigger: 'comment',
        association: provider === 'github' ? 'NONE' : null,
      }),
      expect.objectContaining({ requester: 'mallory', trigger: 'label' }),
    ]);
  });

  it("starts tasks from a collaborator's @lucid comment and label", async () => {
    const before = await taskCount();
    const issue = fake.createIssue(repo.fullName, { title: 'Faster builds', body: 'Too slow.' });
    const asked = await deliver(
      fake.webhook(
        commentEvent,
        fake.payloads.issueComment(repo.fullName, issue.number, '@lucid cache it.', 'bob'),
      ),
    );
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);
    const task = await request<{ prompt: string }>(
      server.url,
      'GET',
      `/api/v1/tasks/${asked.body.taskId}`,
      { token: user.token },
    );
    expect(task.body.prompt).toContain('bob asked, in a comment on the issue:');

    const labelled = await deliver(
      fake.webhook(
        issueEvent,
        fake.payloads.issueLabeled(repo.fullName, issue.number, 'lucid', 'bob'),
      ),
    );
    expect(labelled.status, JSON.stringify(labelled.body)).toBe(201);
    expect(await taskCount()).toBe(before + 2);
  });
  it('fails a delivery whose requester the forge cannot vouch for, so a redelivery is handled', async () => {
    const before = await taskCount();
    const issue = fake.createIssue(repo.fullName, { title: 'Flaky forge', body: 'Retry me.' });
    const delivery = fake.webhook(
      commentEvent,
      fake.payloads.issueComment(repo.fullName, issue.number, '@lucid try again.', 'bob'),
    );
    fake.fail(500);
    const failed = await deliver(delivery);
    expect(failed.status, JSON.stringify(failed.body)).toBe(502);
    expect(failed.body.error?.code).toBe('forge_error');
    expect(await taskCount()).toBe(before);

    const redelivered = await deliver(delivery);
    expect(redelivered.status, JSON.stringify(redelivered.body)).toBe(201);
    expect(await taskCount()).toBe(before + 1);
  });
});
