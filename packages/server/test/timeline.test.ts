/**
 * A task's timeline (`GET /api/v1/tasks/{id}/timeline`) and the pipeline's success metrics in
 * `GET /api/v1/usage`, against the fake GitLab, the fake Vercel and the scripted model: a task
 * through coding, safety, its merge request (which gets the preview's link as a note), the
 * preview, the approval and production has every stage in order with its times and the coding's
 * cost; a failed build fails the preview stage with Vercel's reason and the redeploy that retries
 * it; a secret found fails the safety stage with the allow-once that retries it; `check.result`
 * events fold into the tests stage; the metrics are right on a known set of rows (an unapproved
 * production deployment planted in the table counts); another user's task answers 404.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  DeploymentList,
  EventBody,
  TaskTimeline,
  TimelineStage,
  UsageReport,
} from '@lucid/contracts';
import { events, runs, tasks, usage, vercelDeployments } from '../src/db/schema.ts';
import { newId } from '../src/ids.ts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { appendEvents } from '../src/tasks/events.ts';
import { startFakeGitLab, type FakeGitLab } from './fakes/gitlab/index.ts';
import { shellTrajectory, startFakeLlm, type FakeLlm } from './fakes/llm/index.ts';
import { startFakeVercel, type FakeVercel } from './fakes/vercel/index.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { linkedRepo } from './support/forges.ts';
import { fakeProviderEnv } from './support/providers.ts';
import { pushedRepo, taskEvents, waitForStatus } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
let gitlab: FakeGitLab;
let vercel: FakeVercel;
let llm: FakeLlm;
let owner: TestUser;
let stranger: TestUser;
let repo: { id: string; fullName: string; upstreamPath: string };
let project: ReturnType<FakeVercel['addProject']>;

const ACCESS_KEY_ID = 'AKIA4QZR7T2LMXW9PD3K';
const SECRET_ACCESS_KEY = 'Zr8kQ2vN5xT1bW7yL0pH3sD9fG6jC4aM2eR8uK1n';

const api = <T = unknown>(user: TestUser, method: string, pathname: string, json?: unknown) =>
  request<T>(server.url, method, pathname, { token: user.token, ...(json ? { json } : {}) });

const timelineOf = async (taskId: string, user = owner) => {
  const answer = await api<TaskTimeline>(user, 'GET', `/api/v1/tasks/${taskId}/timeline`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body;
};
const stageOf = (timeline: TaskTimeline, name: TimelineStage['stage']) =>
  timeline.stages.find((s) => s.stage === name)!;

/** Asks the timeline again until `done` holds of it. */
async function timelineUntil(
  taskId: string,
  done: (timeline: TaskTimeline) => boolean,
): Promise<TaskTimeline> {
  for (;;) {
    const timeline = await timelineOf(taskId);
    if (done(timeline)) return timeline;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A task whose agent runs `command` (Lucid commits and pushes the branch when it ends). */
async function runTask(repoId: string, command: string, prompt: string) {
  llm.script(shellTrajectory([{ command }], 'Done.', { finishTool: 'finish' }));
  const created = await api<{ task: { id: string; branch: string } }>(
    owner,
    'POST',
    '/api/v1/tasks',
    { repoId, prompt },
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.task;
}

beforeAll(async () => {
  gitlab = await startFakeGitLab();
  vercel = await startFakeVercel({ stepMs: 50 });
  llm = await startFakeLlm();
  server = await startTestServer({
    env: {
      ...gitlab.env(),
      ...fakeProviderEnv(llm.url, {
        anthropic: 'sk-ant-timeline-test-0123456789',
        openai: 'sk-openai-timeline-test-0123456789',
        compatible: 'sk-local-timeline-test-0123456789',
      }),
      LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
      VERCEL_API_URL: vercel.url,
      VERCEL_POLL_MS: '50',
    },
    runner: {
      driver: new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) }),
      slots: 1,
      pollMs: 100,
      warmPool: 0,
    },
  });
  owner = await signUp(server.url, 'Olive Owner');
  stranger = await signUp(server.url, 'Sam Stranger');
  const account = gitlab.addUser({ login: 'olive' });
  repo = await linkedRepo(server, {
    user: owner,
    provider: 'gitlab',
    fake: gitlab,
    login: account.login,
    token: account.token,
    name: 'shop',
  });
  const connected = await api<{ id: string }>(owner, 'POST', '/api/integrations/vercel/token', {
    token: vercel.token,
  });
  expect(connected.status, JSON.stringify(connected.body)).toBe(200);
  project = vercel.addProject({ name: 'shop' });
  const linked = await api(owner, 'PUT', `/api/v1/repos/${repo.id}/vercel`, {
    connectionId: connected.body.id,
    projectId: project.id,
  });
  expect(linked.status, JSON.stringify(linked.body)).toBe(200);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await gitlab?.close();
  await vercel?.stop();
  await llm?.close();
});

describe('the timeline', () => {
  it('follows a task through coding, safety, its merge request, the preview, the approval and production, in order, with times and the coding’s cost', async () => {
    const task = await runTask(repo.id, "printf '<h1>shop</h1>\\n' > index.html", 'Add a page');
    const ready = await timelineUntil(task.id, (t) => stageOf(t, 'preview').status === 'succeeded');
    const preview = stageOf(ready, 'preview');
    expect(preview.url).toMatch(/^https:\/\//);
    expect(stageOf(ready, 'approval')).toMatchObject({
      status: 'waiting',
      detail: 'Waiting for a reviewer',
    });

    // The merge request gets the preview's link as a note (not its issue namesake).
    const number = Number(/merge_requests\/(\d+)$/.exec(stageOf(ready, 'pr').url ?? '')?.[1]);
    for (;;) {
      if (gitlab.mergeRequestComments(repo.fullName, number).length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(gitlab.mergeRequestComments(repo.fullName, number).map((n) => n.body)).toEqual([
      expect.stringMatching(
        new RegExp(`^Lucid deployed a preview of [0-9a-f]{7} on Vercel: ${preview.url}$`),
      ),
    ]);

    const deployments = await api<DeploymentList>(
      owner,
      'GET',
      `/api/v1/tasks/${task.id}/deployments`,
    );
    const previewId = deployments.body.deployments.find((d) => d.target === 'preview')!.id;
    const promoted = await api(
      owner,
      'POST',
      `/api/v1/tasks/${task.id}/deployments/${previewId}/promote`,
    );
    expect(promoted.status, JSON.stringify(promoted.body)).toBe(200);

    const timeline = await timelineOf(task.id);
    expect(timeline.stages.map((s) => [s.stage, s.status])).toEqual([
      ['source', 'succeeded'],
      ['plan', 'skipped'],
      ['coding', 'succeeded'],
      ['tests', 'skipped'],
      ['safety', 'succeeded'],
      ['pr', 'succeeded'],
      ['preview', 'succeeded'],
      ['approval', 'succeeded'],
      ['production', 'succeeded'],
    ]);
    expect(stageOf(timeline, 'source').detail).toBe('Created through the API');
    expect(stageOf(timeline, 'pr')).toMatchObject({
      detail: `Merge request !${number} opened`,
      url: expect.stringContaining(`/${repo.fullName}/-/merge_requests/${number}`),
    });
    expect(stageOf(timeline, 'approval').detail).toBe('Promoted by Olive Owner');
    expect(stageOf(timeline, 'production')).toMatchObject({ detail: 'Promoted' });

    // Each stage that happened began after the one before it, and took a measured time.
    const went = timeline.stages.filter((s) => s.status === 'succeeded');
    for (const stage of went) {
      expect(stage.startedAt, stage.stage).not.toBeNull();
      expect(stage.endedAt, stage.stage).not.toBeNull();
      expect(stage.durationMs, stage.stage).toBeGreaterThanOrEqual(0);
      expect(Date.parse(stage.endedAt!)).toBeGreaterThanOrEqual(Date.parse(stage.startedAt!));
    }
    const starts = went.map((s) => Date.parse(s.startedAt!));
    expect(starts).toEqual([...starts].sort((a, b) => a - b));

    // The coding's cost is what its model calls cost; stages without a model cost nothing.
    const spent = (await taskEvents(server.url, owner, task.id))
      .filter((e) => e.type === 'usage')
      .reduce((sum, e) => sum + Number(e.costUsd), 0);
    expect(spent).toBeGreaterThan(0);
    expect(stageOf(timeline, 'coding').costUsd).toBeCloseTo(spent, 9);
    expect(stageOf(timeline, 'preview').costUsd).toBeNull();
    expect(timeline.stages.every((s) => s.retry === null && s.reason === null)).toBe(true);
  });

  it('fails the preview stage with Vercel’s reason when its build fails, and its retry deploys again', async () => {
    project.failBuilds = 'Build failed: missing module ./cart';
    const task = await runTask(repo.id, "printf 'cart\\n' > cart.html", 'Add a cart');
    const failed = await timelineUntil(task.id, (t) => stageOf(t, 'preview').status === 'failed');
    const preview = stageOf(failed, 'preview');
    expect(preview.reason).toBe('Build failed: missing module ./cart');
    expect(preview.retry).toMatchObject({
      action: 'deployment.redeploy',
      method: 'POST',
      body: null,
    });
    // The review of the merge request does not wait on the preview.
    expect(stageOf(failed, 'approval').status).toBe('waiting');

    project.failBuilds = null;
    const retried = await api(owner, preview.retry!.method, preview.retry!.path);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    const ready = await timelineUntil(task.id, (t) => stageOf(t, 'preview').status !== 'failed');
    expect(['running', 'succeeded']).toContain(stageOf(ready, 'preview').status);
    expect(stageOf(ready, 'preview').retry).toBeNull();
  });

  it('fails the safety stage when the secret scan blocks the push, and allowing the finding once retries it', async () => {
    const local = await pushedRepo(server.url, owner, 'secrets');
    const half = SECRET_ACCESS_KEY.length / 2;
    const task = await runTask(
      local.id,
      `printf 'aws_access_key_id = "AKIA%s"\\naws_secret_access_key = "%s%s"\\n' '${ACCESS_KEY_ID.slice(4)}' '${SECRET_ACCESS_KEY.slice(0, half)}' '${SECRET_ACCESS_KEY.slice(half)}' > settings.py`,
      'Add settings',
    );
    const blocked = await timelineUntil(task.id, (t) => stageOf(t, 'safety').status === 'failed');
    const safety = stageOf(blocked, 'safety');
    expect(safety.reason).toMatch(/^Push blocked: .*secret.* in settings\.py:1\.$/);
    expect(JSON.stringify(blocked)).not.toContain(SECRET_ACCESS_KEY);
    expect(safety.retry).toMatchObject({
      action: 'safety.allow',
      path: `/api/v1/tasks/${task.id}/safety/allow`,
      body: { fingerprints: [expect.any(String), expect.any(String)] },
    });
    expect(stageOf(blocked, 'pr')).toMatchObject({
      status: 'skipped',
      detail: 'The repository has no forge: the branch stays on Lucid',
    });
    expect(stageOf(blocked, 'preview').status).toBe('skipped');

    const allowed = await api(owner, 'POST', safety.retry!.path, safety.retry!.body);
    expect(allowed.status, JSON.stringify(allowed.body)).toBe(200);
    const passed = await timelineUntil(task.id, (t) => stageOf(t, 'safety').status === 'succeeded');
    expect(stageOf(passed, 'safety').retry).toBeNull();
  });

  it('folds check.result events into the tests stage: the last result of each command counts', async () => {
    const local = await pushedRepo(server.url, owner, 'checked');
    const task = await runTask(local.id, "printf 'x\\n' > x.txt", 'Add x');
    await waitForStatus(server.url, owner, task.id, ['in_review']);
    const check = (command: string, exitCode: number) =>
      ({
        type: 'check.result',
        command,
        exitCode,
        passed: exitCode === 0,
        durationMs: 1500,
        outputTail: '',
      }) as unknown as EventBody;
    const { db } = server.database;
    await appendEvents(db, {
      taskId: task.id,
      runId: null,
      events: [check('npm test', 1), check('npm run lint', 0)],
    });
    const failing = stageOf(await timelineOf(task.id), 'tests');
    expect(failing).toMatchObject({
      status: 'failed',
      reason: '`npm test` exited with 1.',
      detail: '1 of 2 checks passed',
      durationMs: 3000,
    });
    // Work in review is not retried: the reviewer rejects it with a note instead.
    expect(failing.retry).toBeNull();

    await appendEvents(db, { taskId: task.id, runId: null, events: [check('npm test', 0)] });
    expect(stageOf(await timelineOf(task.id), 'tests')).toMatchObject({
      status: 'succeeded',
      detail: '2 of 2 checks passed',
      reason: null,
    });
  });

  it('answers 404 for another user’s task, and 401 without a caller', async () => {
    const local = await pushedRepo(server.url, owner, 'private');
    const created = await api<{ task: { id: string } }>(owner, 'POST', '/api/v1/tasks', {
      repoId: local.id,
      prompt: 'Nothing yet',
      start: false,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const theirs = await api<{ error: { code: string } }>(
      stranger,
      'GET',
      `/api/v1/tasks/${created.body.task.id}/timeline`,
    );
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe('task_not_found');
    const nobody = await request(
      server.url,
      'GET',
      `/api/v1/tasks/${created.body.task.id}/timeline`,
    );
    expect(nobody.status).toBe(401);
  });
});

describe('the pipeline’s metrics in /api/v1/usage', () => {
  it('measures time to preview, tests passed, dollars per task, secrets blocked and unapproved production deployments', async () => {
    const team = await api<{ id: string }>(owner, 'POST', '/api/v1/workspaces', {
      name: 'Metrics team',
    });
    expect(team.status).toBe(201);
    const teamRepo = await api<{ id: string }>(owner, 'POST', '/api/v1/repos', {
      name: 'metrics',
      workspaceId: team.body.id,
    });
    expect(teamRepo.status).toBe(201);
    const { db } = server.database;
    const day = Date.parse('2026-03-10T09:00:00.000Z');
    const at = (seconds: number) => new Date(day + seconds * 1000);

    const planted = async (
      status: 'done' | 'failed' | 'in_review',
      {
        previewAfter,
        checks = [],
        costUsd,
        secretsBlocked = 0,
        production = [],
      }: {
        previewAfter?: number;
        checks?: boolean[];
        costUsd: number;
        secretsBlocked?: number;
        production?: (Date | null)[];
      },
    ) => {
      const taskId = newId('task');
      await db.insert(tasks).values({
        id: taskId,
        workspaceId: team.body.id,
        repoId: teamRepo.body.id,
        title: `Planted ${status}`,
        prompt: 'Planted',
        status,
        branch: `lucid/${taskId}`,
        baseBranch: 'main',
        createdAt: at(0),
      });
      const runId = newId('run');
      await db.insert(runs).values({
        id: runId,
        taskId,
        status: 'succeeded',
        spec: { commands: ['true'] } as never,
        createdAt: at(0),
        startedAt: at(10),
        finishedAt: at(20),
      });
      await db.insert(usage).values({
        id: newId('use'),
        runId,
        taskId,
        workspaceId: team.body.id,
        userId: owner.id,
        model: 'anthropic/claude-sonnet-4-5',
        inputTokens: 1,
        outputTokens: 1,
        costUsd,
        at: at(15),
      });
      const bodies: { type: string; payload: Record<string, unknown>; at: Date }[] = [];
      if (previewAfter !== undefined) {
        bodies.push({
          type: 'deployment.state',
          payload: { deploymentId: 'dep_x', target: 'preview', state: 'READY', url: 'https://x' },
          at: at(10 + previewAfter),
        });
      }
      for (const passed of checks) {
        bodies.push({
          type: 'check.result',
          payload: { command: 'npm test', exitCode: passed ? 0 : 1, passed, durationMs: 1 },
          at: at(30),
        });
      }
      for (let i = 0; i < secretsBlocked; i++) {
        bodies.push({
          type: 'safety.check',
          payload: { check: 'secrets', result: 'blocked', summary: 'A secret.', head: 'abc' },
          at: at(25),
        });
      }
      if (bodies.length > 0) {
        await db.insert(events).values(bodies.map((b, i) => ({ taskId, seq: i + 1, runId, ...b })));
      }
      for (const approvedAt of production) {
        await db.insert(vercelDeployments).values({
          id: newId('dep'),
          taskId,
          repoId: teamRepo.body.id,
          projectId: 'prj_planted',
          commitSha: 'abc',
          state: 'READY',
          target: 'production',
          action: 'promote',
          approvedAt,
          createdAt: at(400),
        });
      }
    };
    await planted('done', { previewAfter: 60, checks: [false, true], costUsd: 0.3 });
    await planted('failed', {
      previewAfter: 120,
      checks: [true, false],
      costUsd: 0.1,
      secretsBlocked: 2,
    });
    // One production deployment approved, and one planted with no approval recorded.
    await planted('done', { previewAfter: 300, costUsd: 0.2, production: [at(390), null] });
    await planted('in_review', { costUsd: 0.2 });

    const report = await api<UsageReport>(
      owner,
      'GET',
      `/api/v1/usage?workspaceId=${team.body.id}&from=2026-03-01&to=2026-03-31`,
    );
    expect(report.status, JSON.stringify(report.body)).toBe(200);
    const { pipeline } = report.body;
    expect(pipeline).toMatchObject({
      tasks: 4,
      previewReadyMedianMs: 120_000,
      previewReadyP90Ms: 300_000,
      previewsReady: 3,
      finishedTasks: 3,
      testedTasks: 2,
      testsPassed: 1,
      testsPassShare: 0.5,
      secretsBlocked: 2,
      unauthorizedDeployments: 1,
    });
    expect(pipeline.costPerTaskUsd).toBeCloseTo(0.2, 9);

    const before = await api<UsageReport>(
      owner,
      'GET',
      `/api/v1/usage?workspaceId=${team.body.id}&from=2026-02-01&to=2026-02-28`,
    );
    expect(before.body.pipeline).toMatchObject({
      tasks: 0,
      previewReadyMedianMs: null,
      testsPassShare: null,
      costPerTaskUsd: null,
      unauthorizedDeployments: 0,
    });
  });
});
