/**
 * Vercel, against the fake Vercel (test/fakes/vercel) reached through VERCEL_API_URL: connecting
 * with a token (a refused one in Vercel's words); a preview of the pull request's head commit once
 * the fake GitHub's request opens (from the project's git source), its URL on the task, commented
 * on the pull request and set on the Notion page the task came from; a repository without a forge
 * previewed from its pushed commit's uploaded files; a failing build showing Vercel's error and
 * deployed again; and the gate to production: a member's promotion refused (403) but asked for,
 * an admin's promotion, a rollback to the deployment that served before, each audited.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentList, WorkspaceRole } from '@lucid/contracts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { startFakeGitHub, type FakeGitHub } from './fakes/github/index.ts';
import { shellTrajectory, startFakeLlm, type FakeLlm } from './fakes/llm/index.ts';
import { startFakeNotion, type FakeNotion } from './fakes/notion/index.ts';
import { startFakeVercel, type FakeVercel } from './fakes/vercel/index.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { linkedRepo, waitForEvent } from './support/forges.ts';
import { authedUrl, gitOk, makeLocalRepo } from './support/git.ts';
import { fakeProviderEnv } from './support/providers.ts';
import { taskEvents } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
let github: FakeGitHub;
let notion: FakeNotion;
let vercel: FakeVercel;
let llm: FakeLlm;
let owner: TestUser;
let admin: TestUser;
let member: TestUser;
let teamId: string;
/** The team's repository without a forge, and its first task (previewed by the third test). */
let siteRepoId: string;
let siteTaskId: string;

const api = <T = unknown>(user: TestUser, method: string, pathname: string, json?: unknown) =>
  request<T>(server.url, method, pathname, { token: user.token, ...(json ? { json } : {}) });

async function join(workspaceId: string, user: TestUser, role: WorkspaceRole): Promise<void> {
  const invited = await api<{ token: string }>(
    owner,
    'POST',
    `/api/v1/workspaces/${workspaceId}/invitations`,
    { email: user.email, role },
  );
  expect(invited.status, JSON.stringify(invited.body)).toBe(201);
  const accepted = await api(
    user,
    'POST',
    `/api/v1/workspace-invitations/${invited.body.token}/accept`,
  );
  expect(accepted.status).toBe(200);
}

/** Polls the task's deployments until one matches. */
async function waitForDeployment(
  user: TestUser,
  taskId: string,
  match: (d: DeploymentList['deployments'][number]) => boolean,
): Promise<DeploymentList['deployments'][number]> {
  for (;;) {
    const list = await api<DeploymentList>(user, 'GET', `/api/v1/tasks/${taskId}/deployments`);
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    const found = list.body.deployments.find(match);
    if (found) return found;
    if (Math.random() < 0.02)
      console.log(
        'DBG',
        JSON.stringify(list.body),
        (await taskEvents(server.url, user, taskId))
          .map((e) => e.type + ':' + String(e.status ?? e.state ?? ''))
          .join(','),
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function connect(user: TestUser, body: Record<string, unknown>) {
  return api<{ id: string; error?: { code: string; message: string } }>(
    user,
    'POST',
    '/api/integrations/vercel/token',
    body,
  );
}

/** Has the agent's next run write `file` (Lucid commits and pushes the branch when it ends). */
function scriptFile(file: string): void {
  llm.script(
    shellTrajectory([{ command: `printf '<h1>${file}</h1>\\n' > ${file}` }], `Added ${file}.`, {
      finishTool: 'finish',
    }),
  );
}

/** A task whose agent adds `file`; answers the task. */
async function runTask(user: TestUser, repoId: string, file: string) {
  scriptFile(file);
  const created = await api<{ task: { id: string; branch: string } }>(
    user,
    'POST',
    '/api/v1/tasks',
    {
      repoId,
      prompt: `Add ${file}`,
    },
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.task;
}

beforeAll(async () => {
  github = await startFakeGitHub();
  notion = await startFakeNotion();
  vercel = await startFakeVercel({ stepMs: 100 });
  llm = await startFakeLlm();
  server = await startTestServer({
    env: {
      ...github.env(),
      ...fakeProviderEnv(llm.url, {
        anthropic: 'sk-ant-vercel-test-0123456789',
        openai: 'sk-openai-vercel-test-0123456789',
        compatible: 'sk-local-vercel-test-0123456789',
      }),
      LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
      NOTION_API_URL: notion.url,
      VERCEL_API_URL: vercel.url,
      VERCEL_POLL_MS: '100',
    },
    runner: {
      driver: new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) }),
      slots: 1,
      pollMs: 100,
      warmPool: 0,
    },
  });
  await signUp(server.url, 'Instance Admin');
  owner = await signUp(server.url, 'Olive Owner');
  admin = await signUp(server.url, 'Ada Admin');
  member = await signUp(server.url, 'Max Member');
  teamId = (await api<{ id: string }>(owner, 'POST', '/api/v1/workspaces', { name: 'Web team' }))
    .body.id;
  await join(teamId, admin, 'admin');
  await join(teamId, member, 'member');
}, 120_000);

afterAll(async () => {
  await server?.close();
  await github?.close();
  await notion?.stop();
  await vercel?.stop();
  await llm?.close();
});

describe('Vercel', () => {
  it('connects with a token Vercel knows, and refuses one it does not in Vercel’s words', async () => {
    const refused = await connect(owner, { token: 'vcp_not-a-real-token' });
    expect(refused.status).toBe(400);
    expect(refused.body.error?.code).toBe('invalid_vercel_token');
    expect(refused.body.error?.message).toContain(
      'Not authorized: the token is invalid, expired or revoked',
    );
    const otherTeam = await connect(owner, { token: vercel.token, teamId: 'team_elsewhere' });
    expect(otherTeam.status).toBe(400);
    expect(otherTeam.body.error?.message).toContain('permission to access this team');

    const mine = await connect(owner, { token: vercel.token });
    expect(mine.status, JSON.stringify(mine.body)).toBe(200);
    const team = await connect(admin, {
      token: vercel.token,
      teamId: 'team_fake',
      workspaceId: teamId,
    });
    expect(team.status, JSON.stringify(team.body)).toBe(200);
    const byMember = await connect(member, { token: vercel.token, workspaceId: teamId });
    expect(byMember.status).toBe(403);

    const status = await api<{
      connections: { owner: string; username: string; teamId: string | null }[];
    }>(member, 'GET', '/api/integrations/vercel');
    expect(status.body.connections).toEqual([
      expect.objectContaining({
        owner: 'workspace',
        username: vercel.username,
        teamId: 'team_fake',
      }),
    ]);
    expect(JSON.stringify(status.body)).not.toContain(vercel.token);
    const who = vercel.requests.filter((r) => r.path === '/v10/projects');
    expect(who.at(-1)?.query.teamId).toBe('team_fake');
  });

  it('previews the pull request’s head commit, with its URL on the task, the request and the Notion page', async () => {
    const account = github.addUser({ login: 'olive' });
    const repo = await linkedRepo(server, {
      user: owner,
      provider: 'github',
      fake: github,
      login: account.login,
      token: account.token,
      name: 'storefront',
    });
    const project = vercel.addProject({
      name: 'storefront',
      link: { type: 'github', org: 'olive', repo: 'storefront', repoId: 42 },
    });
    const projects = await api<{ projects: { id: string; gitRepo: string | null }[] }>(
      owner,
      'GET',
      '/api/v1/vercel/projects',
    );
    expect(projects.body.projects).toContainEqual(
      expect.objectContaining({ id: project.id, gitRepo: 'olive/storefront' }),
    );
    const { connections } = (
      await api<{ connections: { id: string; owner: string }[] }>(
        owner,
        'GET',
        '/api/integrations/vercel',
      )
    ).body;
    const own = connections.find((c) => c.owner === 'user')!;
    const linked = await api(owner, 'PUT', `/api/v1/repos/${repo.id}/vercel`, {
      connectionId: own.id,
      projectId: project.name,
    });
    expect(linked.status, JSON.stringify(linked.body)).toBe(200);

    // The task comes from a Notion page whose database maps Preview.
    const notionConnection = await api<{ id: string }>(
      owner,
      'POST',
      '/api/integrations/notion/token',
      {
        token: notion.token,
      },
    );
    expect(notionConnection.status).toBe(200);
    const board = notion.addDatabase({
      title: 'Storefront',
      properties: {
        Name: { type: 'title' },
        Status: { type: 'status', options: ['To do', 'In progress', 'In review', 'Done'] },
        Preview: { type: 'url' },
      },
    });
    const page = notion.addPage(board, { title: 'Add a banner', values: { Status: 'To do' } });
    const mapping = await api(owner, 'PUT', `/api/v1/notion/databases/${board.id}/mapping`, {
      repoId: repo.id,
      statusProperty: 'Status',
      statusOptions: {
        todo: 'To do',
        inProgress: 'In progress',
        inReview: 'In review',
        done: 'Done',
      },
      previewProperty: 'Preview',
    });
    expect(mapping.status, JSON.stringify(mapping.body)).toBe(200);
    scriptFile('banner.html');
    const created = await api<{ task: { id: string; branch: string } }>(
      owner,
      'POST',
      '/api/v1/notion/tasks',
      {
        pageId: page.id,
        repoId: repo.id,
        prompt: 'Add a banner',
      },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const task = created.body.task;

    const opened = await waitForEvent(server, owner, task.id, (e) => e.type === 'pr.opened');
    const ready = await waitForDeployment(owner, task.id, (d) => d.state === 'READY');
    const head = (
      await gitOk(['rev-parse', `refs/heads/${task.branch}`], repo.upstreamPath)
    ).trim();
    expect(ready).toMatchObject({ target: 'preview', commitSha: head });
    const made = vercel.deployment(ready.vercelId!);
    expect(made.gitSource).toEqual({
      type: 'github',
      org: 'olive',
      repo: 'storefront',
      ref: task.branch,
      sha: head,
    });
    expect(made.target).toBeNull();
    expect(ready.url).toBe(`https://${made.url}`);

    const events = await taskEvents(server.url, owner, task.id);
    const states = events.filter((e) => e.type === 'deployment.state').map((e) => e.state);
    expect(states).toEqual(['QUEUED', 'BUILDING', 'READY'].filter((s) => states.includes(s)));
    expect(states.at(-1)).toBe('READY');
    expect(events.find((e) => e.type === 'deployment.state' && e.state === 'READY')?.url).toBe(
      ready.url,
    );
    expect(
      events.some((e) => e.type === 'deployment.log' && e.text === 'Deployment completed'),
    ).toBe(true);
    expect(JSON.stringify(events)).not.toContain(vercel.token);

    // The announcement follows the READY state, in the same job: the request, then the page.
    while (!notion.page(page.id)?.values.Preview) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(notion.page(page.id)?.values.Preview).toBe(ready.url);
    expect(github.comments(repo.fullName, Number(opened.number)).map((c) => c.body)).toEqual([
      `Lucid deployed a preview of ${head.slice(0, 7)} on Vercel: ${ready.url}`,
    ]);
  });

  it('previews a repository without a forge from its files; a failed build shows Vercel’s error and deploys again', async () => {
    const repo = await api<{ id: string; cloneUrl: string }>(owner, 'POST', '/api/v1/repos', {
      name: 'site',
      workspaceId: teamId,
    });
    expect(repo.status).toBe(201);
    const local = await makeLocalRepo({ 'README.md': '# site\n' });
    await gitOk(['push', '--quiet', authedUrl(repo.body.cloneUrl, owner.token), 'main'], local);
    const project = vercel.addProject({ name: 'site' });
    project.failBuilds = 'Module not found: Can’t resolve ./missing';
    const team = (
      await api<{ connections: { id: string; owner: string }[] }>(
        admin,
        'GET',
        '/api/integrations/vercel',
      )
    ).body.connections.find((c) => c.owner === 'workspace')!;
    const byMember = await api(member, 'PUT', `/api/v1/repos/${repo.body.id}/vercel`, {
      connectionId: team.id,
      projectId: project.id,
    });
    expect(byMember.status).toBe(403);
    const linked = await api(admin, 'PUT', `/api/v1/repos/${repo.body.id}/vercel`, {
      connectionId: team.id,
      projectId: project.id,
    });
    expect(linked.status, JSON.stringify(linked.body)).toBe(200);

    const task = await runTask(member, repo.body.id, 'index.html');
    siteRepoId = repo.body.id;
    siteTaskId = task.id;
    const failed = await waitForDeployment(member, task.id, (d) => d.state === 'ERROR');
    expect(failed.errorMessage).toBe('Module not found: Can’t resolve ./missing');
    const made = vercel.deployment(failed.vercelId!);
    expect(Object.keys(made.files).sort()).toEqual(['README.md', 'index.html']);
    expect(vercel.uploads.get(made.files['index.html']!)?.toString()).toBe('<h1>index.html</h1>\n');
    const events = await taskEvents(server.url, member, task.id);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'deployment.log',
        stream: 'stderr',
        text: 'Module not found: Can’t resolve ./missing',
      }),
    );

    project.failBuilds = null;
    const again = await api<DeploymentList>(
      member,
      'POST',
      `/api/v1/tasks/${task.id}/deployments/${failed.id}/redeploy`,
    );
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    const ready = await waitForDeployment(member, task.id, (d) => d.state === 'READY');
    expect(ready.commitSha).toBe(failed.commitSha);
    expect(ready.id).not.toBe(failed.id);
    const twice = await api(
      member,
      'POST',
      `/api/v1/tasks/${task.id}/deployments/${ready.id}/redeploy`,
    );
    expect(twice.status).toBe(409);
  });

  it('takes a preview to production only on an owner’s or admin’s approval, and rolls back', async () => {
    const repoId = siteRepoId;
    const firstTask = siteTaskId;
    const firstPreview = await waitForDeployment(member, firstTask, (d) => d.state === 'READY');

    const refused = await api<{ error: { code: string; message: string } }>(
      member,
      'POST',
      `/api/v1/tasks/${firstTask}/deployments/${firstPreview.id}/promote`,
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    expect(vercel.productionCalls).toEqual([]);

    const asked = await api<DeploymentList>(
      member,
      'POST',
      `/api/v1/tasks/${firstTask}/deployments/${firstPreview.id}/promote-request`,
    );
    expect(asked.status, JSON.stringify(asked.body)).toBe(200);
    expect(asked.body.deployments.find((d) => d.id === firstPreview.id)?.requestedBy).toEqual({
      id: member.id,
      name: 'Max Member',
    });
    expect(vercel.productionCalls).toEqual([]);

    const promoted = await api<DeploymentList>(
      admin,
      'POST',
      `/api/v1/tasks/${firstTask}/deployments/${firstPreview.id}/promote`,
    );
    expect(promoted.status, JSON.stringify(promoted.body)).toBe(200);
    const production = promoted.body.deployments.find((d) => d.target === 'production')!;
    expect(production).toMatchObject({
      state: 'READY',
      action: 'promote',
      current: true,
      vercelId: firstPreview.vercelId,
      requestedBy: { id: member.id, name: 'Max Member' },
      approvedBy: { id: admin.id, name: 'Ada Admin' },
    });
    const project = vercel.project(vercel.deployment(firstPreview.vercelId!).projectId);
    expect(project.production).toBe(firstPreview.vercelId);

    // A second task's preview goes to production too; rolling it back restores the first.
    const second = await runTask(member, repoId, 'about.html');
    const secondPreview = await waitForDeployment(member, second.id, (d) => d.state === 'READY');
    const byOwner = await api<DeploymentList>(
      owner,
      'POST',
      `/api/v1/tasks/${second.id}/deployments/${secondPreview.id}/promote`,
    );
    expect(byOwner.status, JSON.stringify(byOwner.body)).toBe(200);
    expect(project.production).toBe(secondPreview.vercelId);
    const live = byOwner.body.deployments.find((d) => d.target === 'production')!;

    const memberRollback = await api(
      member,
      'POST',
      `/api/v1/tasks/${second.id}/deployments/${live.id}/rollback`,
    );
    expect(memberRollback.status).toBe(403);
    const rolled = await api<DeploymentList>(
      admin,
      'POST',
      `/api/v1/tasks/${second.id}/deployments/${live.id}/rollback`,
    );
    expect(rolled.status, JSON.stringify(rolled.body)).toBe(200);
    expect(project.production).toBe(firstPreview.vercelId);
    expect(rolled.body.deployments.find((d) => d.action === 'rollback')).toMatchObject({
      current: true,
      vercelId: firstPreview.vercelId,
      approvedBy: { id: admin.id, name: 'Ada Admin' },
    });
    expect(vercel.productionCalls).toEqual([
      { kind: 'promote', projectId: project.id, deploymentId: firstPreview.vercelId },
      { kind: 'promote', projectId: project.id, deploymentId: secondPreview.vercelId },
      { kind: 'rollback', projectId: project.id, deploymentId: firstPreview.vercelId },
    ]);
    // No deployment was ever created for production: only promotions and a rollback reach it.
    expect(vercel.deployments().every((d) => d.target === null)).toBe(true);

    const audit = await api<{
      entries: { action: string; actorUserId: string | null; metadata: Record<string, unknown> }[];
    }>(owner, 'GET', `/api/v1/audit?workspaceId=${teamId}`);
    const names = new Map([
      [admin.id, 'admin'],
      [member.id, 'member'],
      [owner.id, 'owner'],
    ]);
    const trail = audit.body.entries.map((e) => `${e.action} ${names.get(e.actorUserId ?? '')}`);
    expect(trail).toEqual(
      expect.arrayContaining([
        'deployment.promote_request member',
        'deployment.promote admin',
        'deployment.promote owner',
        'deployment.rollback admin',
        'access.denied member',
      ]),
    );
    const promote = audit.body.entries.find(
      (e) => e.action === 'deployment.promote' && e.actorUserId === admin.id,
    );
    expect(promote?.metadata).toMatchObject({
      vercelId: firstPreview.vercelId,
      approvedBy: admin.id,
      requestedBy: member.id,
    });
    const events = await taskEvents(server.url, member, firstTask);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'deployment.gate', action: 'requested', by: 'Max Member' }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'deployment.gate', action: 'promoted', by: 'Ada Admin' }),
    );
  });
});
