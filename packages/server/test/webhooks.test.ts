/**
 * Forges' webhooks: each repository linked from a forge has its own webhook address and secret,
 * shown once and kept sealed; a delivery is verified on its raw body with that repository's secret,
 * handled once, and acts on that repository only. An issue labelled `lucid` starts a task whose
 * request's link is commented on the issue. Only people who may write to the repository on the
 * forge can ask: strangers start nothing.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, repositories, workspaceMembers } from '../src/db/schema.ts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { openSecret } from '../src/secrets/secret-box.ts';
import {
  startFakeGitHub,
  type FakeGitHub,
  type FakeHook,
  type HookDelivery,
} from './fakes/github/index.ts';
import { startFakeGitLab, type FakeGitLab } from './fakes/gitlab/index.ts';
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
    options: { secret: string },
  ): { headers: Record<string, string>; body: string };
  addHook(fullName: string, hook: { url: string; secret: string }): FakeHook;
  deliver(fullName: string, event: string, payload: unknown): Promise<HookDelivery[]>;
  /** The next `count` API requests fail with this status. */
  fail(fault: number, count?: number): void;
  close(): Promise<void>;
}

interface LinkedRepo {
  id: string;
  workspaceId: string;
  webhook: { url: string; secretSet: boolean } | null;
  webhookSecret: { url: string; secret: string };
}

type Answer = { status: string; taskId?: string; reason?: string; error?: { code: string } };

const forges: {
  provider: 'github' | 'gitlab';
  other: 'github' | 'gitlab';
  issueEvent: string;
  commentEvent: string;
  /** The event of a merged request, and the payload of merging one by hand. */
  mergeEvent: string;
  mergeByHand: (
    fake: FakeForge,
    fullName: string,
    number: number,
    sender: string,
  ) => Promise<object>;
  start: () => Promise<FakeForge>;
}[] = [
  {
    provider: 'github',
    other: 'gitlab',
    issueEvent: 'issues',
    commentEvent: 'issue_comment',
    mergeEvent: 'pull_request',
    mergeByHand: (fake, fullName, number, sender) =>
      (fake as unknown as FakeGitHub).payloads.pullRequestMerged(fullName, number, sender),
    start: startFakeGitHub as unknown as () => Promise<FakeForge>,
  },
  {
    provider: 'gitlab',
    other: 'github',
    issueEvent: 'Issue Hook',
    commentEvent: 'Note Hook',
    mergeEvent: 'Merge Request Hook',
    mergeByHand: (fake, fullName, number, sender) =>
      (fake as unknown as FakeGitLab).payloads.mergeRequestMerged(fullName, number, sender),
    start: startFakeGitLab as unknown as () => Promise<FakeForge>,
  },
];

describe.each(forges)(
  '$provider webhooks',
  ({ provider, other, issueEvent, commentEvent, mergeEvent, mergeByHand, start }) => {
    let fake: FakeForge;
    let llm: FakeLlm;
    let server: TestServer;
    let user: TestUser;
    const fullName = 'alice/hooked';
    let repo: LinkedRepo;
    let hook: FakeHook;
    let carolToken: string;

    /** Connects the user's forge account with its token, then links `name` as a Lucid repository. */
    async function link(who: TestUser, token: string, name: string): Promise<LinkedRepo> {
      const connected = await request(server.url, 'POST', `/api/integrations/${provider}/token`, {
        token: who.token,
        json: { token },
      });
      expect(connected.status, JSON.stringify(connected.body)).toBe(200);
      const linked = await request<LinkedRepo>(
        server.url,
        'POST',
        `/api/integrations/${provider}/repos`,
        { token: who.token, json: { fullName: name } },
      );
      expect(linked.status, JSON.stringify(linked.body)).toBe(201);
      return linked.body;
    }

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
          // Never within a test: a task a delivery creates starts because its queued run wakes
          // the runner.
          pollMs: 3_600_000,
          warmPool: 0,
        },
      });
      user = await signUp(server.url);
      const alice = fake.addUser({ login: 'alice' });
      for (const login of ['bob', 'mallory']) fake.addUser({ login });
      carolToken = fake.addUser({ login: 'carol' }).token;
      await fake.addRepo('alice', 'hooked', {
        defaultBranch: 'main',
        files: { 'README.md': '# hooked\n' },
        collaborators: ['bob', 'carol'],
      });
      await fake.addRepo('alice', 'second', {
        defaultBranch: 'main',
        files: { 'README.md': '# second\n' },
      });
      repo = await link(user, alice.token, fullName);
      // The owner pastes the payload URL and secret Lucid showed into the forge's settings.
      hook = fake.addHook(fullName, repo.webhookSecret);
    }, 120_000);

    afterAll(async () => {
      await server?.close();
      await llm?.close();
      await fake?.close();
    });

    function deliver(delivery: { headers: Record<string, string>; body: string }, url: string) {
      return request<Answer>(server.url, 'POST', new URL(url).pathname, {
        headers: delivery.headers,
        body: delivery.body,
      });
    }

    /** One event sent by the forge to the repository's webhook; its answer. */
    async function send(event: string, payload: object): Promise<HookDelivery & { body: Answer }> {
      const answers = await fake.deliver(fullName, event, payload);
      expect(answers).toHaveLength(1);
      return answers[0] as HookDelivery & { body: Answer };
    }

    async function taskCount(who = user, repoId?: string): Promise<number> {
      const query = repoId ? `?repoId=${repoId}` : '';
      const list = await request<{ tasks: unknown[] }>(server.url, 'GET', `/api/v1/tasks${query}`, {
        token: who.token,
      });
      return list.body.tasks.length;
    }

    it('shows the secret once with its payload URL, and keeps it only sealed', async () => {
      const { secret, url } = repo.webhookSecret;
      expect(url).toBe(`${server.config.publicUrl}/api/webhooks/${provider}/${repo.id}`);
      expect(secret).toMatch(/^[0-9a-f]{64}$/);
      expect(repo.webhook).toEqual({ url, secretSet: true });

      const read = await request<Record<string, unknown>>(
        server.url,
        'GET',
        `/api/v1/repos/${repo.id}`,
        { token: user.token },
      );
      expect(read.body.webhook).toEqual({ url, secretSet: true });
      expect(read.body).not.toHaveProperty('webhookSecret');
      expect(JSON.stringify(read.body)).not.toContain(secret);
      const list = await request(server.url, 'GET', '/api/v1/repos', { token: user.token });
      expect(JSON.stringify(list.body)).not.toContain(secret);

      const [row] = await server.database.db
        .select({ sealed: repositories.sealedWebhookSecret })
        .from(repositories)
        .where(eq(repositories.id, repo.id));
      expect(row!.sealed).toMatch(/^v1:/);
      expect(row!.sealed).not.toContain(secret);
      expect(openSecret(server.config.encryptionKey, row!.sealed!)).toBe(secret);
      const audit = await server.database.db.select().from(auditLog);
      expect(JSON.stringify(audit)).not.toContain(secret);
    });

    it("refuses a delivery signed with another repository's secret, or the old shared one", async () => {
      const second = await request<LinkedRepo>(
        server.url,
        'POST',
        `/api/integrations/${provider}/repos`,
        { token: user.token, json: { fullName: 'alice/second' } },
      );
      expect(second.status, JSON.stringify(second.body)).toBe(201);
      const issue = fake.createIssue(fullName, { title: 'Signed by another' });
      const payload = fake.payloads.issueLabeled(fullName, issue.number, 'lucid', 'alice');
      const before = await taskCount();

      const foreign = await deliver(
        fake.webhook(issueEvent, payload, { secret: second.body.webhookSecret.secret }),
        repo.webhookSecret.url,
      );
      expect(foreign.status, JSON.stringify(foreign.body)).toBe(401);
      expect(foreign.body.error?.code).toBe('invalid_signature');

      // What GITHUB_WEBHOOK_SECRET / GITLAB_WEBHOOK_SECRET used to be: one secret for every tenant.
      const shared = 'one-secret-for-every-tenant';
      const global = await deliver(
        fake.webhook(issueEvent, payload, { secret: shared }),
        repo.webhookSecret.url,
      );
      expect(global.status).toBe(401);
      expect(global.body.error?.code).toBe('invalid_signature');

      const formerAddress = await request<Answer>(
        server.url,
        'POST',
        `/api/webhooks/${provider}`,
        fake.webhook(issueEvent, payload, { secret: shared }),
      );
      expect(formerAddress.status).toBe(410);
      expect(formerAddress.body.error?.code).toBe('gone');

      const otherForge = await deliver(
        fake.webhook(issueEvent, payload, { secret: repo.webhookSecret.secret }),
        `${server.url}/api/webhooks/${other}/${repo.id}`,
      );
      expect(otherForge.status).toBe(401);
      expect(otherForge.body.error?.code).toBe('invalid_signature');
      const unknown = await deliver(
        fake.webhook(issueEvent, payload, { secret: repo.webhookSecret.secret }),
        `${server.url}/api/webhooks/${provider}/repo_${'a'.repeat(20)}`,
      );
      expect(unknown.status, 'an unknown address is answered as a wrong secret').toBe(401);
      expect(unknown.body.error?.code).toBe('invalid_signature');
      expect(await taskCount()).toBe(before);
    });

    it("ignores and audits a delivery with the repository's secret naming another upstream", async () => {
      const before = await taskCount();
      const issue = fake.createIssue('alice/second', { title: 'Elsewhere' });
      // Signed with alice/hooked's secret, about alice/second (whose own webhook is another).
      const answer = await deliver(
        fake.webhook(
          issueEvent,
          fake.payloads.issueLabeled('alice/second', issue.number, 'lucid', 'alice'),
          { secret: repo.webhookSecret.secret },
        ),
        repo.webhookSecret.url,
      );
      expect(answer.status, JSON.stringify(answer.body)).toBe(202);
      expect(answer.body.status).toBe('ignored');
      expect(answer.body.reason).toContain('alice/second');
      expect(await taskCount()).toBe(before);
      const audited = await server.database.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, 'webhook.mismatch'), eq(auditLog.targetId, repo.id)));
      expect(audited.map((row) => row.metadata)).toEqual([
        expect.objectContaining({
          provider,
          upstream: fullName,
          named: 'alice/second',
          issue: issue.number,
        }),
      ]);
    });

    it('refuses deliveries for a repository with no secret, saying where to make one', async () => {
      const account = fake.addUser({ login: 'dora' });
      const bare = await linkedRepo(server, {
        user,
        provider,
        fake,
        login: account.login,
        token: account.token,
        name: 'unsecured',
      });
      const issue = fake.createIssue(bare.fullName, { title: 'No secret' });
      const answer = await deliver(
        fake.webhook(
          issueEvent,
          fake.payloads.issueLabeled(bare.fullName, issue.number, 'lucid', 'dora'),
          { secret: '' },
        ),
        `${server.url}/api/webhooks/${provider}/${bare.id}`,
      );
      expect(answer.status).toBe(401);
      expect(answer.body.error?.code).toBe('invalid_signature');
      expect(JSON.stringify(answer.body)).toContain('make a new secret');
    });

    it('turns a labelled issue into a task that starts at once, whose request is linked on the issue, once', async () => {
      llm.script(
        shellTrajectory([{ command: 'echo fixed > fix.txt' }], 'Fixed the typo.', {
          finishTool: 'finish',
        }),
      );
      const before = await taskCount();
      const issue = fake.createIssue(fullName, {
        title: 'Fix the typo',
        body: 'The README says teh.',
      });
      const delivery = fake.webhook(
        issueEvent,
        fake.payloads.issueLabeled(fullName, issue.number, 'lucid', 'alice'),
        { secret: hook.secret },
      );
      const created = await deliver(delivery, hook.url);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body.status).toBe('created');
      const taskId = created.body.taskId!;

      const replayed = await deliver(delivery, hook.url);
      expect(replayed.status).toBe(200);
      expect(replayed.body).toEqual({ status: 'duplicate' });

      const task = await request<{ source: string; prompt: string; title: string; repoId: string }>(
        server.url,
        'GET',
        `/api/v1/tasks/${taskId}`,
        { token: user.token },
      );
      expect(task.body).toMatchObject({
        source: 'webhook',
        title: 'Fix the typo',
        repoId: repo.id,
      });
      expect(task.body.prompt).toContain('The README says teh.');
      expect(await taskCount()).toBe(before + 1);

      const opened = await waitForEvent(server, user, taskId, (e) => e.type === 'pr.opened');
      const deadline = Date.now() + 30_000;
      while (fake.comments(fullName, issue.number).length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const comments = fake.comments(fullName, issue.number);
      expect(comments).toHaveLength(1);
      expect(comments[0]!.body).toContain(String(opened.url));
      expect(fake.pulls(fullName)).toHaveLength(1);
    });

    it('marks the task whose request was merged on the forge done, once', async () => {
      llm.script(
        shellTrajectory([{ command: 'echo merged > merged.txt' }], 'Added the file.', {
          finishTool: 'finish',
        }),
      );
      const issue = fake.createIssue(fullName, { title: 'Add merged.txt' });
      const [created] = await fake.deliver(
        fullName,
        issueEvent,
        fake.payloads.issueLabeled(fullName, issue.number, 'lucid', 'alice'),
      );
      const taskId = (created!.body as Answer).taskId!;
      const opened = await waitForEvent(server, user, taskId, (e) => e.type === 'pr.opened');
      const pull = fake.pulls(fullName).find((p) => p.url === opened.url);
      expect(pull, JSON.stringify(fake.pulls(fullName))).toBeDefined();
      const status = async () =>
        (
          await request<{ status: string }>(server.url, 'GET', `/api/v1/tasks/${taskId}`, {
            token: user.token,
          })
        ).body.status;
      expect(await status()).toBe('in_review');

      // A collaborator merges it on the forge, by its button.
      const payload = await mergeByHand(fake, fullName, pull!.number, 'bob');
      const [merged] = await fake.deliver(fullName, mergeEvent, payload);
      expect(merged!.status, JSON.stringify(merged!.body)).toBe(200);
      expect(merged!.body).toEqual({ status: 'updated', taskId });
      expect(await status()).toBe('done');
      const done = await waitForEvent(
        server,
        user,
        taskId,
        (e) => e.type === 'task.status' && e.status === 'done',
      );
      expect(done.reason).toContain('bob merged');
      const mergeEvents = await waitForEvent(server, user, taskId, (e) => e.type === 'git.merge');
      expect(mergeEvents.sha).toMatch(/^[0-9a-f]{40}$/);

      // The same merge told again (a new delivery) changes nothing.
      const [again] = await fake.deliver(fullName, mergeEvent, payload);
      expect(again!.status).toBe(202);
      expect((again!.body as Answer).status).toBe('ignored');
      expect(await status()).toBe('done');
    });

    it('starts a task from a comment mentioning @lucid, and ignores other comments', async () => {
      const issue = fake.createIssue(fullName, { title: 'Slow start', body: 'It takes ages.' });
      const chatter = await send(
        commentEvent,
        fake.payloads.issueComment(fullName, issue.number, 'Same here.', 'alice'),
      );
      expect(chatter.status).toBe(202);
      expect(chatter.body.status).toBe('ignored');

      const asked = await send(
        commentEvent,
        fake.payloads.issueComment(
          fullName,
          issue.number,
          '@lucid please cache the index.',
          'alice',
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

    it("ignores a stranger's @lucid comment and label: no task, no word on the issue, audited", async () => {
      const before = await taskCount();
      const issue = fake.createIssue(fullName, { title: 'Run my script', body: 'Please.' });

      const asked = await send(
        commentEvent,
        fake.payloads.issueComment(fullName, issue.number, '@lucid run it.', 'mallory'),
      );
      expect(asked.status, JSON.stringify(asked.body)).toBe(202);
      expect(asked.body.status).toBe('ignored');
      expect(asked.body.reason).toContain('mallory');
      expect(asked.body.taskId).toBeUndefined();

      const labelled = await send(
        issueEvent,
        fake.payloads.issueLabeled(fullName, issue.number, 'lucid', 'mallory'),
      );
      expect(labelled.status, JSON.stringify(labelled.body)).toBe(202);
      expect(labelled.body.status).toBe('ignored');

      expect(await taskCount()).toBe(before);
      // Only the stranger's own comment is on the issue: Lucid said nothing.
      expect(fake.comments(fullName, issue.number).map((c) => c.user)).toEqual(['mallory']);

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
      const issue = fake.createIssue(fullName, { title: 'Faster builds', body: 'Too slow.' });
      const asked = await send(
        commentEvent,
        fake.payloads.issueComment(fullName, issue.number, '@lucid cache it.', 'bob'),
      );
      expect(asked.status, JSON.stringify(asked.body)).toBe(201);
      const task = await request<{ prompt: string }>(
        server.url,
        'GET',
        `/api/v1/tasks/${asked.body.taskId}`,
        { token: user.token },
      );
      expect(task.body.prompt).toContain('bob asked, in a comment on the issue:');

      const labelled = await send(
        issueEvent,
        fake.payloads.issueLabeled(fullName, issue.number, 'lucid', 'bob'),
      );
      expect(labelled.status, JSON.stringify(labelled.body)).toBe(201);
      expect(await taskCount()).toBe(before + 2);
    });

    it('fails a delivery whose requester the forge cannot vouch for, so a redelivery is handled', async () => {
      const before = await taskCount();
      const issue = fake.createIssue(fullName, { title: 'Flaky forge', body: 'Retry me.' });
      const delivery = fake.webhook(
        commentEvent,
        fake.payloads.issueComment(fullName, issue.number, '@lucid try again.', 'bob'),
        { secret: hook.secret },
      );
      fake.fail(500);
      const failed = await deliver(delivery, hook.url);
      expect(failed.status, JSON.stringify(failed.body)).toBe(502);
      expect(failed.body.error?.code).toBe('forge_error');
      expect(await taskCount()).toBe(before);

      const redelivered = await deliver(delivery, hook.url);
      expect(redelivered.status, JSON.stringify(redelivered.body)).toBe(201);
      expect(await taskCount()).toBe(before + 1);
    });

    it('makes a new secret for an admin only, and the old one stops working at once', async () => {
      const member = await signUp(server.url, 'Member');
      await server.database.db
        .insert(workspaceMembers)
        .values({ workspaceId: repo.workspaceId, userId: member.id, role: 'member' });
      const refused = await request<Answer>(
        server.url,
        'POST',
        `/api/v1/repos/${repo.id}/webhook`,
        { token: member.token },
      );
      expect(refused.status).toBe(403);
      expect(refused.body.error?.code).toBe('forbidden');

      const old = hook.secret;
      const rotated = await request<{ url: string; secret: string }>(
        server.url,
        'POST',
        `/api/v1/repos/${repo.id}/webhook`,
        { token: user.token },
      );
      expect(rotated.status, JSON.stringify(rotated.body)).toBe(201);
      expect(rotated.body.url).toBe(repo.webhookSecret.url);
      expect(rotated.body.secret).toMatch(/^[0-9a-f]{64}$/);
      expect(rotated.body.secret).not.toBe(old);

      const issue = fake.createIssue(fullName, { title: 'After rotation' });
      const payload = fake.payloads.issueComment(fullName, issue.number, 'Noted.', 'alice');
      // The forge still has the old secret: refused until the owner pastes the new one.
      const stale = await send(commentEvent, payload);
      expect(stale.status).toBe(401);
      expect((stale.body as Answer).error?.code).toBe('invalid_signature');
      hook.secret = rotated.body.secret;
      const fresh = await send(commentEvent, payload);
      expect(fresh.status, JSON.stringify(fresh.body)).toBe(202);

      const audited = await server.database.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, 'repo.webhook_secret'), eq(auditLog.targetId, repo.id)));
      expect(audited).toHaveLength(1);
      expect(JSON.stringify(audited)).not.toContain(rotated.body.secret);

      const local = await request<{ id: string }>(server.url, 'POST', '/api/v1/repos', {
        token: user.token,
        json: { name: 'no-forge' },
      });
      const none = await request<Answer>(
        server.url,
        'POST',
        `/api/v1/repos/${local.body.id}/webhook`,
        { token: user.token },
      );
      expect(none.status).toBe(400);
    });
    it('gives two workspaces mirroring one upstream each their own deliveries only', async () => {
      // Carol, a collaborator on the forge, links the same upstream in her own workspace.
      const carol = await signUp(server.url, 'Carol');
      const hers = await link(carol, carolToken, fullName);
      expect(hers.workspaceId).not.toBe(repo.workspaceId);
      expect(hers.webhookSecret.url).not.toBe(repo.webhookSecret.url);
      fake.addHook(fullName, hers.webhookSecret);

      const issue = fake.createIssue(fullName, { title: 'Shared upstream', body: 'Both.' });
      const mineBefore = await taskCount(user, repo.id);
      // One event on the forge: one delivery to each webhook (on GitLab, under one event UUID).
      const answers = await fake.deliver(
        fullName,
        commentEvent,
        fake.payloads.issueComment(fullName, issue.number, '@lucid look at this.', 'bob'),
      );
      expect(
        answers.map((a) => [a.url, a.status]),
        JSON.stringify(answers.map((a) => a.body)),
      ).toEqual([
        [repo.webhookSecret.url, 201],
        [hers.webhookSecret.url, 201],
      ]);
      const [mineTask, hersTask] = answers.map((a) => (a.body as Answer).taskId!);
      expect(await taskCount(user, repo.id)).toBe(mineBefore + 1);
      expect(await taskCount(carol, hers.id)).toBe(1);
      const read = (who: TestUser, id: string) =>
        request<{ repoId: string }>(server.url, 'GET', `/api/v1/tasks/${id}`, { token: who.token });
      expect((await read(user, mineTask!)).body.repoId).toBe(repo.id);
      expect((await read(carol, hersTask!)).body.repoId).toBe(hers.id);
      expect((await read(carol, mineTask!)).status).toBe(404);
      expect((await read(user, hersTask!)).status).toBe(404);

      // Each address takes only its own repository's secret.
      const crossed = await deliver(
        fake.webhook(
          commentEvent,
          fake.payloads.issueComment(fullName, issue.number, '@lucid again.', 'bob'),
          { secret: repo.webhookSecret.secret },
        ),
        hers.webhookSecret.url,
      );
      expect(crossed.status).toBe(401);
    });
  },
);
