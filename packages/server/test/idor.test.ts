/**
 * The IDOR sweep. User A makes one of every kind of object the API has: a local repository pushed
 * with git and one added from the fake GitHub, tasks with runs, events, a follow-up and a draft
 * under way, a board card, API tokens, a provider key, a forge connection, a Notion connection with
 * a mapped database and a task from one of its pages, a remote runner and its sandboxes. User B then tries each of A's ids on every route of the API reference
 * (`/api/docs/json`) that takes one, by session cookie and by API token (and the runner API by B's
 * runner token): the answer is 404 with an error code and holds nothing of A's. B's lists, live
 * streams and git access hold nothing of A's either, and afterwards A reads everything unchanged.
 *
 * The routes come from the reference, so a route added later is swept too. The kind of object a
 * path parameter names is the segment before it (`/tasks/{id}` → a task), that of a body or query
 * field its name (`repoId`); a kind the sweep has no object of fails it, saying so. Routes that
 * must answer a stranger otherwise are listed below, each with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './fakes/github/index.ts';
import { startFakeNotion, type FakeNotion } from './fakes/notion/index.ts';
import { startFakeVercel, type FakeVercel } from './fakes/vercel/index.ts';
import { enqueuePreview } from '../src/vercel/preview.ts';
import {
  examplesFor,
  operationKey,
  readApiReference,
  type ExampleRequest,
  type IdTable,
  type Operation,
} from './support/api-reference.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { authedUrl, git, gitOk, makeLocalRepo } from './support/git.ts';
import { fakeProviderEnv } from './support/providers.ts';
import {
  openRawStream,
  openStream,
  type RawEventStream,
  type TaskStream,
} from './support/stream.ts';
import { pushedRepo, startTask } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

/** Every name A gives holds this, so an answer to B holding it holds something of A's. */
const MARK = 'aq7z';

/** What B gets where the answer is not 404, and why. */
interface Expected {
  status: number;
  code?: string;
  body?: unknown;
  why: string;
}

/** Routes that answer a stranger's cookie or API token otherwise than 404. */
const USER_EXCEPTIONS: Record<string, Expected> = {
  'POST /api/webhooks/github/{repoId}': {
    status: 401,
    code: 'invalid_signature',
    why: "a delivery is authenticated by the repository's webhook secret alone, never by a user: an unsigned one is refused whoever sends it, and nothing of the repository is told",
  },
  'POST /api/webhooks/gitlab/{repoId}': {
    status: 401,
    code: 'invalid_signature',
    why: "a delivery is authenticated by the repository's webhook secret alone, never by a user: an unsigned one is refused whoever sends it, and nothing of the repository is told",
  },
  'DELETE /api/v1/invitations/{id}': {
    status: 403,
    code: 'forbidden',
    why: 'invitations are for instance admins; a non-admin is refused before the invitation is looked up, so the answer tells nothing of it',
  },
  'POST /api/v1/workspace-invitations/{token}/accept': {
    status: 403,
    code: 'invitation_wrong_account',
    why: "the link's token is the invitation itself, bound to the address it was sent to: another account is told only that it is not theirs",
  },
  'DELETE /api/v1/runners/{id}': {
    status: 403,
    code: 'forbidden',
    why: 'removing runners is for instance admins; a non-admin is refused before the runner is looked up, so the answer tells nothing of it',
  },
  'PUT /api/v1/settings/provider-keys/{provider}': {
    status: 200,
    why: "it sets the caller's own key: the path names a kind of key, not A's (which A reads unchanged afterwards)",
  },
  'POST /api/integrations/{provider}/token': {
    status: 400,
    code: 'invalid_forge_token',
    why: "it connects the caller's own account with the token sent, which the forge refuses here",
  },
  'GET /api/integrations/{provider}/auth': {
    status: 302,
    why: "it starts the caller's own authorization: a redirect to the forge's consent page",
  },
  'GET /api/integrations/{provider}/callback': {
    status: 400,
    why: "without the state of the caller's own authorization the callback is refused, with a page saying so",
  },
};

/** The runner API: a runner token only. */
const RUNNER_API = '/api/v1/runner/';
const USER_ON_RUNNER_API: Expected = {
  status: 401,
  code: 'invalid_credentials',
  why: "the runner API is for runners: a user's cookie or API token is refused",
};

/** Routes of the runner API that answer a runner other than A's otherwise than 404. */
const RUNNER_EXCEPTIONS: Record<string, Expected> = {
  'POST /api/v1/runner/runners/gone': {
    status: 200,
    body: { gone: [] },
    why: "it says which of the runners named are gone, and a runner learns only of runners its owner added: A's is none of them",
  },
  'POST /api/v1/runner/runs/{id}/finish': {
    status: 200,
    body: { accepted: false },
    why: 'an outcome for a run the runner does not hold is not accepted: the answer for a run that does not exist',
  },
  'POST /api/v1/runner/sandboxes/tasks': {
    status: 200,
    body: { tasks: {} },
    why: "it says which of the runner's own sandboxes tasks use; A's are none of them",
  },
};

/**
 * Lists that still show A's objects to B, outside what this sweep fixes and reported to be fixed
 * where they live. Each must still leak: once fixed, its entry goes.
 */
/** Lists for instance admins only: anyone else is refused, whatever the list holds. */
const ADMIN_LISTS: Record<string, string> = {
  'GET /api/v1/invitations': 'invitations are made and read by instance admins alone',
};

/**
 * GET routes without a path parameter that list nothing: they start or finish an authorization,
 * or answer operators alone.
 */
const NOT_LISTS: Record<string, string> = {
  'GET /metrics':
    "it answers only the operators' metrics token (LUCID_METRICS_TOKEN), no account, and its labels hold no id",
  'GET /api/integrations/notion/auth':
    "it starts the caller's own authorization (refused where the server has no Notion public integration)",
  'GET /api/integrations/notion/callback':
    "it finishes the caller's own authorization, and is refused without its state",
};

/** Lists known to hold others' objects, each with where it comes from; none today. */
const KNOWN_LIST_LEAKS: Record<string, string> = {};

/** Values for fields whose schema alone makes a poor request: a file that exists. */
const VALUES = { path: 'README.md' };

let server: TestServer;
let github: FakeGitHub;
let notion: FakeNotion;
let vercel: FakeVercel;
let reference: Awaited<ReturnType<typeof readApiReference>>;
let alice: TestUser;
let bob: TestUser;
/** An invitation of the instance admin's: instance-wide objects are swept as well. */
let adminInvitation: string;
/** A's objects by kind. */
const ids: IdTable = {};
/** A's ids and secrets: no answer to B may hold one B did not send. */
const markers = new Set<string>();
let aliceRunnerToken: string;
let bobRunnerToken: string;
/** The run B's runner claimed, and its run token. */
let bobRun: { id: string; token: string };
let bobTaskStream: TaskStream;
let bobBoardStream: RawEventStream;
/** What A read before B tried anything. */
let before: Record<string, unknown>;

interface Claim {
  run: { id: string };
  task: { branch: string };
  git: { cloneUrl: string; token: string };
}

const api = <T = unknown>(user: TestUser, method: string, path: string, json?: unknown) =>
  request<T>(server.url, method, path, { token: user.token, ...(json ? { json } : {}) });

const runnerApi = <T = unknown>(token: string, method: string, path: string, json?: unknown) =>
  request<T>(server.url, method, `/api/v1/runner${path}`, { token, ...(json ? { json } : {}) });

function add(kind: string, ...values: string[]): void {
  ids[kind] = [...(ids[kind] ?? []), ...values];
}

beforeAll(async () => {
  github = await startFakeGitHub();
  notion = await startFakeNotion();
  vercel = await startFakeVercel({ stepMs: 50 });
  server = await startTestServer({
    env: {
      ...github.env(),
      NOTION_API_URL: notion.url,
      VERCEL_API_URL: vercel.url,
      VERCEL_POLL_MS: '100',
      ...fakeProviderEnv('http://127.0.0.1:9', {
        anthropic: 'sk-ant-idor-0123456789',
        openai: 'sk-oai-idor-0123456789',
        compatible: 'sk-compat-idor-0123456789',
      }),
      LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
    },
    // No runner of its own, and leases that outlast the sweep.
    runner: { slots: 0, leaseMs: 600_000 },
  });
  reference = await readApiReference(server.url);
  // The first user is the instance admin: A and B are ordinary users.
  const admin = await signUp(server.url, 'Instance Admin');
  const invitation = await request<{ id: string }>(server.url, 'POST', '/api/v1/invitations', {
    token: admin.token,
    json: {},
  });
  expect(invitation.status, JSON.stringify(invitation.body)).toBe(201);
  adminInvitation = invitation.body.id;
  alice = await signUp(server.url, `Alice ${MARK}`);
  bob = await signUp(server.url, 'Bob');

  // B's repository and task, watched live by B while A works.
  const bobRepo = await pushedRepo(server.url, bob, 'bravo-repo');
  const bobTask = await startTask(server.url, bob, {
    repoId: bobRepo.id,
    prompt: 'bravo',
    commands: ['true'],
  });
  bobRunnerToken = (
    await api<{ token: string }>(bob, 'POST', '/api/v1/runners/tokens', { name: 'bravo-runner' })
  ).body.token;
  bobTaskStream = await openStream(server.url, bobTask.task.id, { token: bob.token });
  bobBoardStream = await openRawStream(`${server.url}/api/v1/repos/${bobRepo.id}/board/stream`, {
    authorization: `Bearer ${bob.token}`,
  });

  await makeAlicesObjects();

  // B's runner claims B's run, not A's queued one; B's streams get B's own news.
  const claimed = await runnerApi<Claim>(bobRunnerToken, 'POST', '/claim');
  expect(claimed.status).toBe(200);
  bobRun = { id: claimed.body.run.id, token: claimed.body.git.token };
  await runnerApi(bobRunnerToken, 'POST', `/runs/${bobRun.id}/events`, {
    events: [{ type: 'tool.output', stream: 'stdout', chunk: 'bravo done\n' }],
  });
  await bobTaskStream.waitFor(
    (message) => message.kind === 'event' && message.event.type === 'tool.output',
  );
  const bobCard = await api<{ task: { id: string } }>(bob, 'POST', '/api/v1/tasks', {
    repoId: bobRepo.id,
    prompt: 'bravo card',
    start: false,
  });
  await bobBoardStream.waitFor(bobCard.body.task.id);
  bobTaskStream.close();
  bobBoardStream.close();

  before = await readAllAsAlice();
});

afterAll(async () => {
  await server?.close();
  await github?.close();
  await notion?.stop();
  await vercel?.stop();
});

/** A's objects, one of every kind, filling `ids` and `markers`. */
async function makeAlicesObjects(): Promise<void> {
  // A forge connection, and a repository added from it.
  const account = github.addUser({ login: `${MARK}-alice` });
  await github.addRepo(account.login, `${MARK}-upstream`, {
    files: { 'README.md': `# ${MARK} upstream\n` },
  });
  const connected = await api(alice, 'POST', '/api/integrations/github/token', {
    token: account.token,
  });
  expect(connected.status, JSON.stringify(connected.body)).toBe(200);
  const linked = await api<{ id: string }>(alice, 'POST', '/api/integrations/github/repos', {
    fullName: `${account.login}/${MARK}-upstream`,
  });
  expect(linked.status, JSON.stringify(linked.body)).toBe(201);

  // A local repository, ingested with git.
  const local = await api<{ id: string; cloneUrl: string }>(alice, 'POST', '/api/v1/repos/ingest', {
    name: `${MARK}-local`,
  });
  expect(local.status).toBe(201);
  const work = await makeLocalRepo({ 'README.md': `# ${MARK} local\n` });
  await gitOk(['push', '--quiet', authedUrl(local.body.cloneUrl, alice.token), 'main'], work);
  markers.add((await gitOk(['rev-parse', 'HEAD'], work)).trim());

  // A provider key, a second API token, a remote runner.
  const key = await api(alice, 'PUT', '/api/v1/settings/provider-keys/openai-compatible', {
    apiKey: `sk-${MARK}-secret-${MARK}`,
  });
  expect(key.status, JSON.stringify(key.body)).toBe(200);
  await api(alice, 'POST', '/api/v1/tokens', { name: `${MARK}-laptop` });
  const runner = await api<{ id: string; token: string }>(alice, 'POST', '/api/v1/runners/tokens', {
    name: `${MARK}-runner`,
  });
  expect(runner.status).toBe(201);
  aliceRunnerToken = runner.body.token;

  // A command task run to its end by A's runner: a sandbox, its branch pushed, its events.
  const first = await startTask(server.url, alice, {
    repoId: local.body.id,
    prompt: `${MARK} list the files`,
    commands: ['ls'],
  });
  const claimed = await runnerApi<Claim>(aliceRunnerToken, 'POST', '/claim');
  expect(claimed.body.run.id, "A's runner claims A's run, not B's").toBe(first.run.id);
  const { task, git: grant } = claimed.body;
  await runnerApi(aliceRunnerToken, 'POST', `/runs/${first.run.id}/sandbox`, {
    sandboxId: `sbx-${MARK}-1`,
  });
  await gitOk(['checkout', '--quiet', '-b', task.branch], work);
  await gitOk(['commit', '--quiet', '--allow-empty', '-m', `${MARK} notes`], work);
  const sha = (await gitOk(['rev-parse', 'HEAD'], work)).trim();
  await gitOk(
    ['push', '--quiet', authedUrl(grant.cloneUrl, grant.token), `HEAD:${task.branch}`],
    work,
  );
  const appended = await runnerApi(aliceRunnerToken, 'POST', `/runs/${first.run.id}/events`, {
    events: [
      { type: 'tool.call', tool: 'bash', input: { command: 'ls' } },
      { type: 'tool.output', stream: 'stdout', chunk: `README.md ${MARK}\n` },
      { type: 'tool.result', ok: true, exitCode: 0 },
      { type: 'git.commit', sha, subject: `${MARK} notes` },
      { type: 'git.push', branch: task.branch, sha },
    ],
  });
  expect(appended.status, JSON.stringify(appended.body)).toBe(204);
  const finished = await runnerApi(aliceRunnerToken, 'POST', `/runs/${first.run.id}/finish`, {
    status: 'succeeded',
    exitCode: 0,
  });
  expect(finished.body).toEqual({ accepted: true });

  // An agent task A's runner holds, with a follow-up, a stored answer and a draft under way.
  const second = await api<{ task: { id: string }; run: { id: string } }>(
    alice,
    'POST',
    '/api/v1/tasks',
    { repoId: local.body.id, prompt: `${MARK} write the notes` },
  );
  expect(second.status, JSON.stringify(second.body)).toBe(201);
  const held = await runnerApi<Claim>(aliceRunnerToken, 'POST', '/claim');
  expect(held.body.run.id).toBe(second.body.run.id);
  await runnerApi(aliceRunnerToken, 'POST', `/runs/${second.body.run.id}/sandbox`, {
    sandboxId: `sbx-${MARK}-2`,
  });
  const followUp = await api(alice, 'POST', `/api/v1/tasks/${second.body.task.id}/messages`, {
    text: `${MARK} and the changelog`,
  });
  expect(followUp.status).toBe(202);
  await runnerApi(aliceRunnerToken, 'POST', `/runs/${second.body.run.id}/events`, {
    events: [{ type: 'message.assistant', text: `${MARK} on it` }],
  });
  const draft = await runnerApi(aliceRunnerToken, 'POST', `/runs/${second.body.run.id}/draft`, {
    offset: 0,
    text: `${MARK} writing`,
  });
  expect(draft.status).toBe(204);

  // A card to do on the board, and a task queued on the forge's repository.
  const card = await api<{ task: { id: string } }>(alice, 'POST', '/api/v1/tasks', {
    repoId: local.body.id,
    prompt: `${MARK} card`,
    start: false,
  });
  expect(card.status).toBe(201);
  const queued = await startTask(server.url, alice, {
    repoId: linked.body.id,
    prompt: `${MARK} upstream work`,
    commands: ['true'],
  });

  // A Notion connection, a database mapped onto the local repository, a task from a page of it.
  const connection = await api<{ id: string }>(alice, 'POST', '/api/integrations/notion/token', {
    token: notion.token,
  });
  expect(connection.status, JSON.stringify(connection.body)).toBe(200);
  const database = notion.addDatabase({
    title: `${MARK} sprint`,
    properties: { Name: { type: 'title' }, Status: { type: 'status', options: ['To do'] } },
  });
  const notionPage = notion.addPage(database, {
    title: `${MARK} notion page`,
    values: { Status: 'To do' },
  });
  const mapped = await api(alice, 'PUT', `/api/v1/notion/databases/${database.id}/mapping`, {
    repoId: local.body.id,
  });
  expect(mapped.status, JSON.stringify(mapped.body)).toBe(200);
  const fromNotion = await api<{ task: { id: string } }>(alice, 'POST', '/api/v1/notion/tasks', {
    pageId: notionPage.id,
    repoId: local.body.id,
    prompt: `${MARK} from notion`,
    commands: ['true'],
    start: false,
  });
  expect(fromNotion.status, JSON.stringify(fromNotion.body)).toBe(201);
  // A Vercel connection, the local repository linked to a project, a preview of the task's commit.
  const vercelConnection = await api<{ id: string }>(
    alice,
    'POST',
    '/api/integrations/vercel/token',
    {
      token: vercel.token,
    },
  );
  expect(vercelConnection.status, JSON.stringify(vercelConnection.body)).toBe(200);
  const project = vercel.addProject({ name: `${MARK}-site` });
  const vercelLink = await api(alice, 'PUT', `/api/v1/repos/${local.body.id}/vercel`, {
    connectionId: vercelConnection.body.id,
    projectId: project.id,
  });
  expect(vercelLink.status, JSON.stringify(vercelLink.body)).toBe(200);
  const preview = await enqueuePreview(server.database.db, {
    taskId: first.task.id,
    runId: first.run.id,
    sha,
  });
  // Built before the sweep: A's task reads the same before and after B tries.
  for (;;) {
    const list = await api<{ deployments: { id: string; state: string }[] }>(
      alice,
      'GET',
      `/api/v1/tasks/${first.task.id}/deployments`,
    );
    if (list.body.deployments.find((d) => d.id === preview?.id)?.state === 'READY') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  add('deployment', preview!.id);
  add('project', project.id);
  add('team', 'team_fake');
  add('connection', vercelConnection.body.id);

  // A best-of-N task, whose attempts are tasks of their own.
  const bestOfN = await api<{ task: { id: string } }>(alice, 'POST', '/api/v1/tasks', {
    repoId: local.body.id,
    prompt: `${MARK} two ways`,
    attempts: 2,
  });
  expect(bestOfN.status, JSON.stringify(bestOfN.body)).toBe(201);
  const attempts = await api<{ attempts: { id: string }[] }>(
    alice,
    'GET',
    `/api/v1/tasks/${bestOfN.body.task.id}/attempts`,
  );
  add('attempt', ...attempts.body.attempts.map((a) => a.id));
  add('repo', local.body.id, linked.body.id);
  add(
    'task',
    first.task.id,
    second.body.task.id,
    card.body.task.id,
    queued.task.id,
    fromNotion.body.task.id,
    bestOfN.body.task.id,
  );
  add('connection', connection.body.id);
  add('database', database.id);
  add('page', notionPage.id);
  add('run', first.run.id, second.body.run.id, queued.run.id);
  // An eval of one case on the local repository, cancelled at once (no runner takes its run).
  const evaluation = await api<{ id: string }>(alice, 'POST', '/api/v1/evals', {
    suite: {
      name: `${MARK}-suite`,
      cases: [{ id: 'one', repoId: local.body.id, prompt: `${MARK} case`, check: 'true' }],
    },
    model: 'anthropic/claude-sonnet-4-5',
    concurrency: 1,
  });
  expect(evaluation.status, JSON.stringify(evaluation.body)).toBe(201);
  expect((await api(alice, 'POST', `/api/v1/evals/${evaluation.body.id}/cancel`)).status).toBe(200);
  add('eval', evaluation.body.id);
  add('sandbox', `sbx-${MARK}-1`, `sbx-${MARK}-2`);
  add('runner', runner.body.id);
  const tokens = await api<{ tokens: { id: string }[] }>(alice, 'GET', '/api/v1/tokens');
  add('token', ...tokens.body.tokens.map((t) => t.id));
  const team = await api<{ id: string }>(alice, 'POST', '/api/v1/workspaces', {
    name: `${MARK} team`,
  });
  const joinLink = await api<{ id: string; token: string }>(
    alice,
    'POST',
    `/api/v1/workspaces/${team.body.id}/invitations`,
    { email: `${MARK}-invitee@example.test` },
  );
  add('workspace-invitation', joinLink.body.token);
  // The team's own key, which its members' tasks use when they have none.
  const teamKey = await api(
    alice,
    'PUT',
    `/api/v1/workspaces/${team.body.id}/provider-keys/openai-compatible`,
    { apiKey: `sk-${MARK}-team-${MARK}` },
  );
  expect(teamKey.status, JSON.stringify(teamKey.body)).toBe(200);
  const me = await api<{ workspaces: { id: string }[] }>(alice, 'GET', '/api/v1/me');
  add('workspace', ...me.body.workspaces.map((w) => w.id));
  add('user', alice.id);
  add('invitation', adminInvitation, joinLink.body.id);
  for (const values of Object.values(ids)) for (const id of values) markers.add(id);
  // Objects named by their kind: A's key for a provider, A's account on a forge.
  add('provider-key', 'openai-compatible');
  add('integration', 'github');
  add('forge-connection', 'github');
  for (const secret of [
    alice.email,
    alice.token,
    aliceRunnerToken,
    grant.token,
    sha,
    vercel.token,
  ]) {
    markers.add(secret);
  }
}

describe('the sweep of the API reference', () => {
  it('knows an object of every kind the routes name, and lists only routes that exist', () => {
    for (const operation of reference.operations) examples(operation);
    const keys = reference.operations.map(operationKey);
    for (const key of [
      ...Object.keys(USER_EXCEPTIONS),
      ...Object.keys(RUNNER_EXCEPTIONS),
      ...Object.keys(KNOWN_LIST_LEAKS),
      ...Object.keys(ADMIN_LISTS),
      ...Object.keys(NOT_LISTS),
    ]) {
      expect(keys, `${key} is listed but is no route of the reference`).toContain(key);
    }
  });

  it("answers B 404 on every route with an id of A's, by cookie and by token, telling nothing of A's", async () => {
    const failures: string[] = [];
    const swept = new Set<string>();
    // Reads first, deletions last, routes that act on B's own objects at the end.
    const rank = (operation: Operation) =>
      (USER_EXCEPTIONS[operationKey(operation)] ? 3 : 0) +
      ({ GET: 0, DELETE: 2 }[operation.method] ?? 1);
    const operations = [...reference.operations].sort((a, b) => rank(a) - rank(b));
    for (const operation of operations) {
      for (const example of examples(operation)) {
        if (!namesObjects(example)) continue;
        swept.add(operationKey(operation));
        const probers = [byCookie(bob), byToken(bob)];
        if (operation.path.startsWith(RUNNER_API)) probers.push(byRunnerToken(bobRunnerToken));
        for (const prober of probers) {
          const answer = await send(example, prober);
          const where = `${example.method} ${example.url} by ${prober.name}`;
          const wrong = judge(answer, expectationFor(operation, prober));
          if (wrong) failures.push(`${where}: ${wrong}`);
          const leaked = leaks(answer.text, sentIds(example));
          if (leaked.length > 0) failures.push(`${where}: the answer holds ${leaked.join(', ')}`);
        }
      }
    }
    expect(failures).toEqual([]);
    const withPathParameters = reference.operations.filter((operation) =>
      operation.parameters.some((parameter) => parameter.in === 'path'),
    );
    expect(withPathParameters.length).toBeGreaterThan(30);
    for (const operation of withPathParameters) expect(swept).toContain(operationKey(operation));
  });

  it("never puts one of A's objects in B's lists, by cookie and by token", async () => {
    const failures: string[] = [];
    const lists = reference.operations.filter(
      (operation) =>
        operation.method === 'GET' && !operation.parameters.some((p) => p.in === 'path'),
    );
    expect(lists.map(operationKey)).toEqual(
      expect.arrayContaining(['GET /api/v1/repos', 'GET /api/v1/tasks', 'GET /api/integrations']),
    );
    for (const operation of lists) {
      if (NOT_LISTS[operationKey(operation)]) continue;
      const known = KNOWN_LIST_LEAKS[operationKey(operation)];
      for (const example of examples(operation)) {
        for (const prober of [byCookie(bob), byToken(bob)]) {
          const answer = await send(example, prober);
          const where = `${example.method} ${example.url} by ${prober.name}`;
          if (ADMIN_LISTS[operationKey(operation)]) {
            if (answer.status !== 403) failures.push(`${where}: answered ${answer.status}`);
            continue;
          }
          // A report of one workspace named in the query tells a non-member it does not exist.
          const scopedAway = answer.status === 404 && example.ids.query.length > 0;
          if (answer.status !== 200 && !scopedAway) {
            failures.push(`${where}: answered ${answer.status}`);
          }
          const leaked = leaks(answer.text, sentIds(example));
          if (known) {
            expect(leaked, `${where} no longer leaks: take it off KNOWN_LIST_LEAKS`).not.toEqual(
              [],
            );
          } else if (leaked.length > 0) {
            failures.push(`${where}: the list holds ${leaked.join(', ')}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it("gives B's runner B's runs to claim, never A's", async () => {
    expect(ids.run).not.toContain(bobRun.id);
    const again = await runnerApi(bobRunnerToken, 'POST', '/claim');
    expect(again.status, "A's queued run is there, and not for B's runner").toBe(204);
  });
});

describe('live streams', () => {
  it("answer B 404 on A's tasks, from any point, with no event", async () => {
    for (const taskId of ids.task ?? []) {
      for (const auth of [{ cookie: bob.cookie }, { token: bob.token }]) {
        for (const from of [{ after: 0 }, { lastEventId: 0 }]) {
          const stream = await openStream(server.url, taskId, auth, from);
          stream.close();
          expect(stream.status).toBe(404);
          expect(stream.messages).toEqual([]);
        }
        const events = await request<{ error: { code: string } }>(
          server.url,
          'GET',
          `/api/v1/tasks/${taskId}/events?after=0`,
          auth,
        );
        expect(events.status).toBe(404);
        expect(events.body.error.code).toBe('task_not_found');
      }
    }
  });

  it("carry none of A's events, drafts or board changes on B's own task and board", () => {
    expect(bobTaskStream.events().map((event) => event.type)).toContain('tool.output');
    expect(leaks(JSON.stringify(bobTaskStream.messages), [])).toEqual([]);
    expect(leaks(bobBoardStream.text(), [])).toEqual([]);
  });
});

describe('the git server', () => {
  it("tells B nothing of A's repositories by B's API token or cookie: no refs, no clone, no push", async () => {
    for (const repoId of ids.repo ?? []) {
      const refs = `/git/${repoId}.git/info/refs?service=git-upload-pack`;
      const byToken = await request(server.url, 'GET', refs, {
        headers: { authorization: basic(bob.token) },
      });
      expect(byToken.status).toBe(404);
      const byCookie = await request(server.url, 'GET', refs, { cookie: bob.cookie });
      expect(byCookie.status).toBe(401);
      for (const answer of [byToken, byCookie]) {
        expect(leaks(JSON.stringify(answer.body), [repoId])).toEqual([]);
      }

      const url = authedUrl(`${server.url}/git/${repoId}.git`, bob.token);
      const work = await makeLocalRepo({ 'README.md': '# bravo push\n' });
      for (const args of [
        ['ls-remote', url],
        ['clone', '--quiet', url, `${work}/clone`],
        ['push', url, 'main:refs/heads/bravo'],
      ]) {
        const result = await git(args, work);
        expect(result.code, `git ${args[0]}`).not.toBe(0);
        expect(leaks(result.stdout + result.stderr, [repoId])).toEqual([]);
      }
    }
  });

  it("refuses B's run token on A's repositories", async () => {
    for (const repoId of ids.repo ?? []) {
      for (const service of ['git-upload-pack', 'git-receive-pack']) {
        const refs = await request(
          server.url,
          'GET',
          `/git/${repoId}.git/info/refs?service=${service}`,
          { headers: { authorization: basic(bobRun.token) } },
        );
        expect(refs.status).toBe(404);
        expect(leaks(JSON.stringify(refs.body), [repoId])).toEqual([]);
      }
    }
  });
});

describe("A's objects", () => {
  it('read the same to A after all B tried, and A’s runner still works', async () => {
    expect(await readAllAsAlice()).toEqual(before);
    const heartbeat = await runnerApi(aliceRunnerToken, 'POST', '/heartbeat', { capacity: 1 });
    expect(heartbeat.body).toEqual({ runnerId: ids.runner?.[0] });
  });
});

interface Prober {
  name: string;
  headers: Record<string, string>;
}

const byCookie = (user: TestUser): Prober => ({ name: 'cookie', headers: { cookie: user.cookie } });
const byToken = (user: TestUser): Prober => ({
  name: 'API token',
  headers: { authorization: `Bearer ${user.token}` },
});
const byRunnerToken = (token: string): Prober => ({
  name: 'runner token',
  headers: { authorization: `Bearer ${token}` },
});

/** HTTP Basic credentials as git sends them, the token as the password. */
function basic(token: string): string {
  return `Basic ${Buffer.from(`lucid:${token}`).toString('base64')}`;
}

function examples(operation: Operation): ExampleRequest[] {
  return examplesFor(operation, ids, { schemas: reference.schemas, values: VALUES });
}

/** Whether the request names objects: by path or body, or by query unless it reads a list. */
function namesObjects(example: ExampleRequest): boolean {
  const { path, query, body } = example.ids;
  return path.length > 0 || body.length > 0 || (example.method !== 'GET' && query.length > 0);
}

function sentIds(example: ExampleRequest): string[] {
  return [...example.ids.path, ...example.ids.query, ...example.ids.body];
}

/** A's markers in the text, once the ids the request sent (an error may name them) are taken out. */
function leaks(text: string, sent: string[]): string[] {
  const rest = sent.reduce((remaining, id) => remaining.split(id).join(''), text);
  return [...markers, MARK].filter((marker) => rest.includes(marker));
}

interface Answer {
  status: number;
  text: string;
  json: unknown;
}

/** Sends a request made from the reference; of a live stream only the status is read. */
async function send(
  example: Pick<ExampleRequest, 'method' | 'url' | 'body'>,
  prober: Prober,
): Promise<Answer> {
  const headers: Record<string, string> = { ...prober.headers };
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
    return { status: response.status, text: '', json: null };
  }
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    // a page, not JSON
  }
  return { status: response.status, text, json };
}

function errorCode(answer: Answer): string | undefined {
  const code = (answer.json as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'string' ? code : undefined;
}

function expectationFor(operation: Operation, prober: Prober): Expected | null {
  const key = operationKey(operation);
  if (prober.name === 'runner token') return RUNNER_EXCEPTIONS[key] ?? null;
  if (operation.path.startsWith(RUNNER_API)) return USER_ON_RUNNER_API;
  return USER_EXCEPTIONS[key] ?? null;
}

/** What is wrong with B's answer (404 and a `…not_found` code, unless expected otherwise). */
function judge(answer: Answer, expected: Expected | null): string | null {
  const said = `${answer.status} ${answer.text.slice(0, 200)}`;
  if (!expected) {
    const code = errorCode(answer);
    return answer.status === 404 && code && /(^|_)not_found$/.test(code) ? null : said;
  }
  if (answer.status !== expected.status) {
    return `${said}, not ${expected.status}: ${expected.why}`;
  }
  if (expected.code && errorCode(answer) !== expected.code) {
    return `${said}, not the code ${expected.code}`;
  }
  if (
    expected.body !== undefined &&
    JSON.stringify(answer.json) !== JSON.stringify(expected.body)
  ) {
    return `${said}, not ${JSON.stringify(expected.body)}`;
  }
  return null;
}

/** Every JSON read of the reference, as A, with each of A's ids. */
async function readAllAsAlice(): Promise<Record<string, unknown>> {
  const read: Record<string, unknown> = {};
  for (const operation of reference.operations.filter((o) => o.readsJson)) {
    for (const example of examples(operation)) {
      const answer = await send(example, byToken(alice));
      read[example.url] = { status: answer.status, body: stable(operation, answer.json) };
    }
  }
  return read;
}

/**
 * A's answer without what moves on its own: when a token or a runner was last heard from, how
 * long a running run has run, and what the runners list shows of the whole instance (the others'
 * runners, the pool's figures).
 */
function stable(operation: Operation, body: unknown): unknown {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value === null || typeof value !== 'object') return value;
    const running = 'finishedAt' in value && value.finishedAt === null;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== 'lastUsedAt' && key !== 'lastHeartbeatAt')
        .filter(([key]) => !(running && key === 'durationMs'))
        .map(([key, inner]) => [key, strip(inner)]),
    );
  };
  if (operation.path === '/api/v1/runners') {
    const { runners } = body as { runners: { id: string; status: string }[] };
    return strip(
      runners
        .filter((runner) => ids.runner?.includes(runner.id))
        .map(({ status: _status, ...runner }) => runner),
    );
  }
  return strip(body);
}
