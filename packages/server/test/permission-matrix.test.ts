/**
 * The permission matrix. One team workspace with an owner, an admin, a member and a viewer, and a
 * stranger with a workspace of their own; in the team, a repository pushed to Lucid's git server
 * and a task whose run (commands) has finished. Every route of the API reference
 * (`/api/docs/json`) is called by each of the five with their API token, its path parameters,
 * id fields and a minimal body filled from these objects, and must answer as its row in
 * `src/http/access.ts` says: allowed, the route itself answers (anything but 401, 403, 404 or
 * 5xx: a 400 or 409 of the route passed the gate); refused for the role, 403 `forbidden` naming the
 * role needed; outside the workspace, 404 and a `…not_found` code. A route without a row fails
 * it. Git clone and push, the task stream and the board stream (the first answer's status) are
 * held to the same table. Routes that destroy or use up what they name are given an object made
 * for each call, so the matrix does not depend on the order it runs in.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentList, WorkspaceRole } from '@lucid/contracts';
import { GIT_ACCESS, ROUTE_ACCESS, type AccessRule } from '../src/http/access.ts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { startFakeGitHub, type FakeGitHub } from './fakes/github/index.ts';
import { startFakeNotion, type FakeNotion } from './fakes/notion/index.ts';
import { startFakeVercel, type FakeVercel } from './fakes/vercel/index.ts';
import { enqueuePreview } from '../src/vercel/preview.ts';
import {
  examplesFor,
  operationKey,
  readApiReference,
  type IdTable,
  type Operation,
} from './support/api-reference.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { authedUrl, git, gitOk, makeLocalRepo } from './support/git.ts';
import { fakeProviderEnv } from './support/providers.ts';
import { startTask, waitForStatus } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const RANK: Record<WorkspaceRole, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/** A caller of the matrix: a role in the team, or none (a stranger with their own workspace). */
interface Caller {
  name: string;
  user: TestUser;
  role: WorkspaceRole | null;
  /** Their account on the fake forge, connected to Lucid. */
  forgeLogin: string;
  forgeToken: string;
  /** Their own Notion connection (to the fake's one Notion workspace). */
  notionConnectionId: string;
  /** Their own Vercel connection (to the fake's one account). */
  vercelConnectionId: string;
}

let server: TestServer;
let github: FakeGitHub;
let notion: FakeNotion;
let vercel: FakeVercel;
/** The Vercel project the team's repository is linked to, and the commit its previews deploy. */
let vercelProjectId: string;
let previewSha: string;
/** A task started from a Notion page, with its link. */
let notionTaskId: string;
let reference: Awaited<ReturnType<typeof readApiReference>>;
let owner: TestUser;
let callers: Caller[];
let teamId: string;
/** Another team of the owner's, where each caller is invited to accept a link of their own. */
let sideTeamId: string;
let repo: { id: string; cloneUrl: string };
/** The objects the requests are filled with, by kind. */
const ids: IdTable = {};

const api = <T = unknown>(user: TestUser, method: string, pathname: string, json?: unknown) =>
  request<T>(server.url, method, pathname, { token: user.token, ...(json ? { json } : {}) });

async function ok<T>(
  user: TestUser,
  method: string,
  pathname: string,
  json: unknown,
  status = 201,
): Promise<T> {
  const answer = await api<T>(user, method, pathname, json);
  expect(answer.status, `${method} ${pathname}: ${JSON.stringify(answer.body)}`).toBe(status);
  return answer.body;
}

/** A link to join `workspaceId` with `role`, made by the owner, accepted by `user`. */
async function join(workspaceId: string, user: TestUser, role: WorkspaceRole): Promise<void> {
  const { token } = await ok<{ token: string }>(
    owner,
    'POST',
    `/api/v1/workspaces/${workspaceId}/invitations`,
    { email: user.email, role },
  );
  await ok(user, 'POST', `/api/v1/workspace-invitations/${token}/accept`, undefined, 200);
}

async function newTeam(name: string): Promise<string> {
  return (await ok<{ id: string }>(owner, 'POST', '/api/v1/workspaces', { name })).id;
}

async function connectForge(caller: Caller): Promise<void> {
  await ok(
    caller.user,
    'POST',
    '/api/integrations/github/token',
    { token: caller.forgeToken },
    200,
  );
}

/**
 * Objects made for one call of a route that destroys or uses up what it names, by route: the ids
 * it is filled with instead of the shared ones.
 */
const FRESH: Record<string, (caller: Caller) => Promise<IdTable>> = {
  'DELETE /api/v1/tokens/{id}': async (caller) => ({
    token: [
      (await ok<{ id: string }>(caller.user, 'POST', '/api/v1/tokens', { name: 'spare' })).id,
    ],
  }),
  'DELETE /api/v1/repos/{id}': async () => ({ repo: [await spareRepo()] }),
  'POST /api/v1/repos/{id}/move': async () => ({ repo: [await spareRepo()] }),
  'DELETE /api/v1/tasks/{id}': async () => ({ task: [await spareTask()] }),
  'DELETE /api/v1/workspaces/{id}': async () => {
    const workspaceId = await newTeam('Spare team');
    for (const caller of callers) {
      if (caller.role && caller.role !== 'owner') await join(workspaceId, caller.user, caller.role);
    }
    return { workspace: [workspaceId] };
  },
  'PATCH /api/v1/workspaces/{id}/members/{userId}': async () => ({ user: [await spareMember()] }),
  'DELETE /api/v1/workspaces/{id}/members/{userId}': async () => ({ user: [await spareMember()] }),
  'DELETE /api/v1/workspaces/{id}/invitations/{invitationId}': async () => {
    const { id } = await ok<{ id: string }>(
      owner,
      'POST',
      `/api/v1/workspaces/${teamId}/invitations`,
      { email: `pending-${Math.random().toString(36).slice(2, 8)}@example.test`, role: 'member' },
    );
    return { invitation: [id] };
  },
  'POST /api/v1/workspace-invitations/{token}/accept': async (caller) => {
    const { token } = await ok<{ token: string }>(
      owner,
      'POST',
      `/api/v1/workspaces/${sideTeamId}/invitations`,
      { email: caller.user.email, role: 'viewer' },
    );
    return { 'workspace-invitation': [token] };
  },
  'DELETE /api/v1/settings/provider-keys/{provider}': async (caller) => {
    await ok(
      caller.user,
      'PUT',
      '/api/v1/settings/provider-keys/openai-compatible',
      { apiKey: 'sk-matrix-0123456789' },
      200,
    );
    return { 'provider-key': ['openai-compatible'] };
  },
  'DELETE /api/v1/workspaces/{id}/connections/{provider}': async () => {
    await ok(
      owner,
      'POST',
      `/api/v1/workspaces/${teamId}/connections/github/token`,
      { token: callers[0]?.forgeToken },
      200,
    );
    return {};
  },
  'DELETE /api/v1/workspaces/{id}/provider-keys/{provider}': async () => {
    await ok(
      owner,
      'PUT',
      `/api/v1/workspaces/${teamId}/provider-keys/openai-compatible`,
      { apiKey: 'sk-matrix-team-0123456789' },
      200,
    );
    return { 'provider-key': ['openai-compatible'] };
  },
  'DELETE /api/integrations/notion/connections/{id}': async (caller) => {
    const made = await ok<{ id: string }>(
      caller.user,
      'POST',
      '/api/integrations/notion/token',
      { token: notion.token },
      200,
    );
    return { connection: [made.id] };
  },
  'GET /api/v1/tasks/{id}/notion': async () => ({ task: [notionTaskId] }),
  ...Object.fromEntries(
    [
      'GET /api/v1/tasks/{id}/attempts',
      'GET /api/v1/tasks/{id}/attempts/diff',
      'POST /api/v1/tasks/{id}/attempts/{attemptId}/keep',
    ].map((key) => [key, async () => ({ task: [bestOfN.task], attempt: bestOfN.attempts })]),
  ),
  // Browsing Notion goes through the caller's own connection.
  ...Object.fromEntries(
    [
      'GET /api/v1/notion/databases',
      'GET /api/v1/notion/databases/{databaseId}',
      'PUT /api/v1/notion/databases/{databaseId}/mapping',
      'GET /api/v1/notion/databases/{databaseId}/pages',
      'GET /api/v1/notion/pages/{pageId}',
      'POST /api/v1/notion/tasks',
    ].map((key) => [key, async (caller: Caller) => ({ connection: [caller.notionConnectionId] })]),
  ),
  'DELETE /api/integrations/vercel/connections/{id}': async (caller) => {
    const made = await ok<{ id: string }>(
      caller.user,
      'POST',
      '/api/integrations/vercel/token',
      { token: vercel.token },
      200,
    );
    return { connection: [made.id] };
  },
  'GET /api/v1/vercel/projects': async (caller) => ({ connection: [caller.vercelConnectionId] }),
  'PUT /api/v1/repos/{id}/vercel': async (caller) => ({ connection: [caller.vercelConnectionId] }),
  'DELETE /api/v1/repos/{id}/vercel': async () => ({ repo: [await spareRepo()] }),
  // Promoting uses up a ready preview; rolling back needs production to have served twice. Only
  // the callers allowed through reach them: the others are given the shared preview.
  'POST /api/v1/tasks/{id}/deployments/{deploymentId}/promote': async (caller): Promise<IdTable> =>
    approves(caller) ? { deployment: [await readyPreview()] } : {},
  'POST /api/v1/tasks/{id}/deployments/{deploymentId}/rollback': async (
    caller,
  ): Promise<IdTable> => {
    if (!approves(caller)) return {};
    const taskId = ids.task?.[0] ?? '';
    for (let i = 0; i < 2; i++) {
      const preview = await readyPreview();
      await ok(
        owner,
        'POST',
        `/api/v1/tasks/${taskId}/deployments/${preview}/promote`,
        undefined,
        200,
      );
    }
    const list = await ok<DeploymentList>(
      owner,
      'GET',
      `/api/v1/tasks/${taskId}/deployments`,
      undefined,
      200,
    );
    return { deployment: [list.deployments.find((d) => d.current)!.id] };
  },
  'DELETE /api/integrations/{provider}': async (caller) => {
    await connectForge(caller);
    return {};
  },
};

/** Bodies where one made from the schema would not do: what each needs to reach its route. */
const BODIES: Record<string, (caller: Caller, filled: IdTable) => unknown> = {
  // A card, not a run: the matrix does not wait on runs it starts.
  'POST /api/v1/tasks': () => ({
    repoId: repo.id,
    prompt: 'A card of the matrix',
    commands: ['true'],
    start: false,
  }),
  'PATCH /api/v1/workspaces/{id}/quotas': () => ({ tasksPerDay: null }),
  'POST /api/v1/evals': () => matrixEval(),
  // A policy refusing nothing: the matrix's tasks go on as before.
  'PUT /api/v1/workspaces/{id}/safety-policy': () => ({
    protectedPaths: [],
    maxFilesChanged: null,
    refusedCommands: [],
  }),
  'POST /api/integrations/notion/token': () => ({ token: notion.token, workspaceId: teamId }),
  'POST /api/integrations/vercel/token': () => ({ token: vercel.token, workspaceId: teamId }),
  'PUT /api/v1/repos/{id}/vercel': (caller) => ({
    connectionId: caller.vercelConnectionId,
    projectId: vercelProjectId,
  }),
  'POST /api/v1/notion/tasks': (_caller, filled) => ({
    pageId: filled.page?.[0],
    repoId: repo.id,
    prompt: 'A card from Notion',
    commands: ['true'],
    start: false,
  }),
  'POST /api/v1/workspaces/{id}/connections/{provider}/token': (caller) => ({
    token: caller.forgeToken,
  }),
  'POST /api/integrations/{provider}/repos': (caller) => ({
    fullName: `${caller.forgeLogin}/matrix-upstream`,
    workspaceId: teamId,
  }),
};

/** Values for fields whose schema alone makes a poor request. */
const VALUES: Record<string, unknown> = { path: 'README.md', role: 'viewer' };

/** A best-of-N task of the team's repository and its attempts, for the attempts' routes. */
let bestOfN: { task: string; attempts: string[] };

/** An eval of one case on the team's repository, whose check always passes. */
function matrixEval() {
  return {
    workspaceId: teamId,
    suite: {
      name: 'matrix',
      cases: [{ id: 'one', repoId: repo.id, prompt: 'A case of the matrix', check: 'true' }],
    },
    model: 'anthropic/claude-sonnet-4-5',
    concurrency: 1,
  };
}

async function spareRepo(): Promise<string> {
  const name = `spare-${Math.random().toString(36).slice(2, 8)}`;
  return (await ok<{ id: string }>(owner, 'POST', '/api/v1/repos', { name, workspaceId: teamId }))
    .id;
}

async function spareTask(): Promise<string> {
  const created = await ok<{ task: { id: string } }>(owner, 'POST', '/api/v1/tasks', {
    repoId: repo.id,
    prompt: 'A spare card',
    commands: ['true'],
    start: false,
  });
  return created.task.id;
}

/** Whether the caller may take a preview to production: an owner or admin of the team. */
function approves(caller: Caller): boolean {
  return caller.role === 'owner' || caller.role === 'admin';
}

/** A preview of the team's task made ready on the fake Vercel: its id. */
async function readyPreview(): Promise<string> {
  const taskId = ids.task?.[0] ?? '';
  const made = await enqueuePreview(server.database.db, {
    taskId,
    runId: null,
    sha: previewSha,
    again: true,
  });
  for (;;) {
    const list = await ok<DeploymentList>(
      owner,
      'GET',
      `/api/v1/tasks/${taskId}/deployments`,
      undefined,
      200,
    );
    const found = list.deployments.find((d) => d.id === made?.id);
    if (found?.state === 'READY') return found.id;
    if (found?.state === 'ERROR') throw new Error(`the preview failed: ${found.errorMessage}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function spareMember(): Promise<string> {
  const spare = await signUp(server.url, 'Spare');
  await join(teamId, spare, 'member');
  return spare.id;
}

beforeAll(async () => {
  github = await startFakeGitHub();
  notion = await startFakeNotion();
  vercel = await startFakeVercel({ stepMs: 20 });
  const driver = new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) });
  server = await startTestServer({
    env: {
      ...github.env(),
      NOTION_API_URL: notion.url,
      // An account's API token is no metrics token: `GET /metrics` answers every caller 401.
      LUCID_METRICS_TOKEN: 'matrix-metrics-token-0123456789',
      VERCEL_API_URL: vercel.url,
      VERCEL_POLL_MS: '50',
      ...fakeProviderEnv('http://127.0.0.1:9', {
        anthropic: 'sk-ant-matrix-0123456789',
        openai: 'sk-oai-matrix-0123456789',
        compatible: 'sk-compat-matrix-0123456789',
      }),
    },
    runner: { driver, slots: 1, leaseMs: 5_000, maxRuntimeMs: 120_000, pollMs: 100, warmPool: 0 },
    // Previews are followed every 50 ms: the worker looks for due jobs as often.
    jobs: { retryBaseMs: 50, pollMs: 50 },
  });
  reference = await readApiReference(server.url);

  // The first account is the instance admin: none of the five is one.
  const instanceAdmin = await signUp(server.url, 'Instance Admin');
  owner = await signUp(server.url, 'Owner');
  teamId = await newTeam('Matrix team');
  sideTeamId = await newTeam('Side team');
  const people: [string, WorkspaceRole | null][] = [
    ['stranger', null],
    ['viewer', 'viewer'],
    ['member', 'member'],
    ['admin', 'admin'],
  ];
  callers = [];
  for (const [name, role] of people) {
    const user = await signUp(server.url, name);
    if (role) await join(teamId, user, role);
    callers.push({
      name,
      user,
      role,
      forgeLogin: '',
      forgeToken: '',
      notionConnectionId: '',
      vercelConnectionId: '',
    });
  }
  callers.push({
    name: 'owner',
    user: owner,
    role: 'owner',
    forgeLogin: '',
    forgeToken: '',
    notionConnectionId: '',
    vercelConnectionId: '',
  });
  for (const caller of callers) {
    const account = github.addUser({ login: `matrix-${caller.name}` });
    await github.addRepo(account.login, 'matrix-upstream', { files: { 'README.md': '# up\n' } });
    caller.forgeLogin = account.login;
    caller.forgeToken = account.token;
    await connectForge(caller);
    caller.notionConnectionId = (
      await ok<{ id: string }>(
        caller.user,
        'POST',
        '/api/integrations/notion/token',
        { token: notion.token },
        200,
      )
    ).id;
    caller.vercelConnectionId = (
      await ok<{ id: string }>(
        caller.user,
        'POST',
        '/api/integrations/vercel/token',
        { token: vercel.token },
        200,
      )
    ).id;
  }

  // The team's repository, pushed with git, and a task whose run has finished.
  repo = await ok(owner, 'POST', '/api/v1/repos', { name: 'matrix-repo', workspaceId: teamId });
  const local = await makeLocalRepo({ 'README.md': '# matrix\n' });
  await gitOk(['push', '--quiet', authedUrl(repo.cloneUrl, owner.token), 'main'], local);
  const { task, run } = await startTask(server.url, owner, {
    repoId: repo.id,
    prompt: 'Write notes',
    commands: [
      'printf "notes\\n" > notes.md && git add -A && git commit -qm Notes && git push -q origin HEAD',
    ],
  });
  expect((await waitForStatus(server.url, owner, task.id, ['in_review', 'failed'])).status).toBe(
    'in_review',
  );

  // The repository's Vercel project, and a ready preview of the task's commit.
  vercelProjectId = vercel.addProject({ name: 'matrix-site' }).id;
  await ok(
    owner,
    'PUT',
    `/api/v1/repos/${repo.id}/vercel`,
    {
      connectionId: callers.find((c) => c.role === 'owner')?.vercelConnectionId,
      projectId: vercelProjectId,
    },
    200,
  );
  previewSha = (await gitOk(['rev-parse', 'HEAD'], local)).trim();
  ids.task = [task.id];
  const preview = await readyPreview();

  const invitation = await ok<{ id: string }>(instanceAdmin, 'POST', '/api/v1/invitations', {});
  const runner = await ok<{ id: string }>(owner, 'POST', '/api/v1/runners/tokens', {
    name: 'matrix-runner',
  });
  const token = await ok<{ id: string }>(owner, 'POST', '/api/v1/tokens', { name: 'matrix' });
  const database = notion.addDatabase({
    title: 'Matrix sprint',
    properties: { Name: { type: 'title' }, Status: { type: 'status', options: ['To do'] } },
  });
  const page = notion.addPage(database, { title: 'Matrix page', values: { Status: 'To do' } });
  notionTaskId = (
    await ok<{ task: { id: string } }>(owner, 'POST', '/api/v1/notion/tasks', {
      pageId: page.id,
      repoId: repo.id,
      prompt: 'From the matrix page',
      commands: ['true'],
      start: false,
    })
  ).task.id;
  const attempts = await ok<{ task: { id: string } }>(owner, 'POST', '/api/v1/tasks', {
    repoId: repo.id,
    prompt: 'Three ways',
    attempts: 2,
  });
  const listed = await ok<{ attempts: { id: string }[] }>(
    owner,
    'GET',
    `/api/v1/tasks/${attempts.task.id}/attempts`,
    undefined,
    200,
  );
  bestOfN = { task: attempts.task.id, attempts: listed.attempts.map((a) => a.id) };
  Object.assign(VALUES, { a: bestOfN.attempts[0], b: bestOfN.attempts[1] });
  // An eval, cancelled at once: the matrix reads and cancels it again.
  const evaluation = await ok<{ id: string }>(owner, 'POST', '/api/v1/evals', matrixEval());
  await ok(owner, 'POST', `/api/v1/evals/${evaluation.id}/cancel`, undefined, 200);
  Object.assign(ids, {
    eval: [evaluation.id],
    database: [database.id],
    page: [page.id],
    workspace: [teamId],
    repo: [repo.id],
    task: [task.id],
    run: [run.id],
    user: [owner.id],
    invitation: [invitation.id],
    runner: [runner.id],
    sandbox: ['sbx-matrix'],
    token: [token.id],
    'workspace-invitation': ['unused'],
    'provider-key': ['openai-compatible'],
    integration: ['github'],
    'forge-connection': ['github'],
    deployment: [preview],
    project: [vercelProjectId],
    team: ['team_fake'],
  } satisfies IdTable);
});

afterAll(async () => {
  await server?.close();
  await github?.close();
  await notion?.stop();
  await vercel?.stop();
});

/** What a caller must be answered under a rule, or null for a route not called (public ones). */
type Expected =
  | { kind: 'allowed' }
  | { kind: 'refused'; needed: WorkspaceRole }
  | { kind: 'hidden' }
  | { kind: 'status'; status: number; code: string };

function expected(rule: AccessRule, caller: Caller): Expected | null {
  if (rule === 'public') return null;
  if (rule === 'signed-in') return { kind: 'allowed' };
  if (rule === 'instance-admin') return { kind: 'status', status: 403, code: 'forbidden' };
  if (rule === 'runner') return { kind: 'status', status: 401, code: 'invalid_credentials' };
  if (rule === 'metrics-token') return { kind: 'status', status: 401, code: 'unauthorized' };
  if (caller.role === null) return { kind: 'hidden' };
  return RANK[caller.role] >= RANK[rule.role]
    ? { kind: 'allowed' }
    : { kind: 'refused', needed: rule.role };
}

interface Answer {
  status: number;
  /** True when it answered with an event stream (of which only the status is read). */
  streamed: boolean;
  code: string | undefined;
  message: string | undefined;
  text: string;
}

/** What is wrong with the answer, or null. */
function judge(answer: Answer, want: Expected): string | null {
  const said = `${answer.status} ${answer.text.slice(0, 200)}`;
  switch (want.kind) {
    case 'allowed':
      return [401, 403, 404].includes(answer.status) || answer.status >= 500
        ? `${said}, not allowed through`
        : null;
    case 'refused':
      return answer.status === 403 &&
        answer.code === 'forbidden' &&
        answer.message?.includes(want.needed)
        ? null
        : `${said}, not 403 forbidden naming the ${want.needed} role`;
    case 'hidden':
      return answer.status === 404 && /(^|_)not_found$/.test(answer.code ?? '')
        ? null
        : `${said}, not 404 …not_found`;
    case 'status':
      return answer.status === want.status && answer.code === want.code
        ? null
        : `${said}, not ${want.status} ${want.code}`;
  }
}

/** Sends one request; of an event stream only the status is read. */
async function send(
  caller: Caller,
  example: { method: string; url: string; body: unknown },
): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${caller.user.token}` };
  if (example.method !== 'GET') headers.origin = server.url;
  let body: string | undefined;
  if (example.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(example.body);
  }
  const controller = new AbortController();
  const response = await fetch(server.url + example.url, {
    method: example.method,
    headers,
    body,
    redirect: 'manual',
    signal: controller.signal,
  });
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
    controller.abort();
    return {
      status: response.status,
      streamed: true,
      code: undefined,
      message: undefined,
      text: '',
    };
  }
  const text = await response.text();
  let error: { code?: string; message?: string } | undefined;
  try {
    error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
  } catch {
    // a page, not JSON
  }
  return {
    status: response.status,
    streamed: false,
    code: error?.code,
    message: error?.message,
    text,
  };
}

describe('the permission matrix', () => {
  it('has a rule for every route of the API reference, and no rule for a route that is not', () => {
    const keys = reference.operations.map(operationKey);
    const missing = keys.filter((key) => !(key in ROUTE_ACCESS));
    expect(missing, 'routes without a row in src/http/access.ts').toEqual([]);
    const stale = Object.keys(ROUTE_ACCESS).filter((key) => !keys.includes(key));
    expect(stale, 'rows of src/http/access.ts that are no route').toEqual([]);
  });

  it('lets a member of any role leave a workspace, though removing another needs admin', async () => {
    const workspaceId = await newTeam('Leavers');
    for (const caller of callers) {
      if (caller.role && caller.role !== 'owner') await join(workspaceId, caller.user, caller.role);
    }
    for (const caller of callers.filter((c) => c.role === 'viewer' || c.role === 'member')) {
      const left = await api(
        caller.user,
        'DELETE',
        `/api/v1/workspaces/${workspaceId}/members/${caller.user.id}`,
      );
      expect(left.status, `the ${caller.name} leaving`).toBe(204);
    }
  });

  it('answers every route as its rule says, for each role and a non-member', async () => {
    const failures: string[] = [];
    // Reads first, deletions last: a write's state change never hides what a read needs.
    const rank = (operation: Operation) => ({ GET: 0, DELETE: 2 })[operation.method] ?? 1;
    const operations = [...reference.operations].sort((a, b) => rank(a) - rank(b));
    let calls = 0;
    const streamed = new Set<string>();
    for (const operation of operations) {
      const key = operationKey(operation);
      const rule = ROUTE_ACCESS[key];
      if (!rule) continue;
      for (const caller of callers) {
        const want = expected(rule, caller);
        if (!want) continue;
        const filled = { ...ids, ...(await FRESH[key]?.(caller)) };
        const [example] = examplesFor(operation, filled, {
          schemas: reference.schemas,
          values: VALUES,
        });
        if (!example) throw new Error(`${key}: no request made`);
        const body = BODIES[key]?.(caller, filled) ?? example.body;
        const answer = await send(caller, { ...example, body });
        calls += 1;
        if (answer.streamed) streamed.add(key);
        const wrong = judge(answer, want);
        if (wrong) failures.push(`${key} by the ${caller.name}: ${wrong}`);
      }
    }
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(300);
    // The live streams answered their allowed callers with an event stream.
    expect([...streamed].sort()).toEqual([
      'GET /api/v1/repos/{id}/board/stream',
      'GET /api/v1/tasks/{id}/stream',
    ]);
  });

  it('holds git clone and push to the same table, with each caller’s API token', async () => {
    const failures: string[] = [];
    for (const caller of callers) {
      for (const [service, needed] of [
        ['git-upload-pack', GIT_ACCESS.read.role],
        ['git-receive-pack', GIT_ACCESS.push.role],
      ] as const) {
        const refs = await request(
          server.url,
          'GET',
          `/git/${repo.id}.git/info/refs?service=${service}`,
          { headers: { authorization: basic(caller.user.token) } },
        );
        const want = caller.role === null ? 404 : RANK[caller.role] >= RANK[needed] ? 200 : 403;
        if (refs.status !== want) {
          failures.push(`${service} by the ${caller.name}: ${refs.status}, not ${want}`);
        }
      }
      const url = authedUrl(repo.cloneUrl, caller.user.token);
      const work = await makeLocalRepo({ 'README.md': `# ${caller.name}\n` });
      const clone = await git(['clone', '--quiet', url, `${work}/clone`], work);
      const push = await git(
        ['push', '--quiet', url, `main:refs/heads/matrix-${caller.name}`],
        work,
      );
      const mayRead = caller.role !== null && RANK[caller.role] >= RANK[GIT_ACCESS.read.role];
      const mayPush = caller.role !== null && RANK[caller.role] >= RANK[GIT_ACCESS.push.role];
      if ((clone.code === 0) !== mayRead)
        failures.push(`clone by the ${caller.name}: ${clone.stderr}`);
      if ((push.code === 0) !== mayPush)
        failures.push(`push by the ${caller.name}: ${push.stderr}`);
    }
    expect(failures).toEqual([]);
  });
});

/** HTTP Basic credentials as git sends them, the token as the password. */
function basic(token: string): string {
  return `Basic ${Buffer.from(`lucid:${token}`).toString('base64')}`;
}
