/**
 * The pipeline's world for the tests and the benchmark that cross it whole: the fake GitHub,
 * Notion, Vercel and model, a Lucid server with a runner, a team (an admin, a member), its
 * repository mirrored from GitHub with a check command, linked to a Vercel project, and a Notion
 * database mapped onto it (status, PR link, preview). Then each journey's steps through the API.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalDriver } from '../../src/sandbox/local/local-driver.ts';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github/index.ts';
import { offersTools, shellTrajectory, startFakeLlm, type FakeLlm } from '../fakes/llm/index.ts';
import { startFakeNotion, type FakeDatabase, type FakeNotion } from '../fakes/notion/index.ts';
import { startFakeVercel, type FakeVercel } from '../fakes/vercel/index.ts';
import { request, signUp, type TestUser } from './client.ts';
import { linkedRepo } from './forges.ts';
import { fakeProviderEnv } from './providers.ts';
import type { startTestServer, TestServer } from './test-server.ts';

/** The plan the scripted model proposes. */
export const JOURNEY_PLAN = {
  goal: 'Show a banner on the storefront',
  files: [{ path: 'banner.html', why: 'the banner lives there' }],
  steps: [{ title: 'Write the banner', detail: 'banner.html holds it' }],
  testing: 'cat banner.html',
  risks: 'None worth naming',
};

/** The Notion database's status options, mapped onto Lucid's stages. */
export const JOURNEY_STATUSES = {
  todo: 'To do',
  inProgress: 'In progress',
  inReview: 'In review',
  done: 'Done',
};

/** Everything a pipeline journey runs against. */
export interface PipelineWorld {
  github: FakeGitHub;
  notion: FakeNotion;
  vercel: FakeVercel;
  llm: FakeLlm;
  server: TestServer;
  /** The team's admin: links Vercel, sets the check command, promotes to production. */
  admin: TestUser;
  /** A member of the team: connects Notion, maps the database, starts and reviews tasks. */
  member: TestUser;
  teamId: string;
  repo: { id: string; fullName: string; upstreamPath: string };
  database: FakeDatabase;
  close(): Promise<void>;
}

async function ok<T>(
  server: TestServer,
  user: TestUser,
  method: string,
  pathname: string,
  json?: unknown,
): Promise<T> {
  const answer = await request<T>(server.url, method, pathname, {
    token: user.token,
    ...(json === undefined ? {} : { json }),
  });
  if (answer.status >= 300) {
    throw new Error(
      `${method} ${pathname} answered ${answer.status}: ${JSON.stringify(answer.body)}`,
    );
  }
  return answer.body;
}

/**
 * Starts the fakes and a server through `start` (the browser tests' web server, or the
 * benchmark's own), and sets up the team, its repository, its Vercel link and its Notion mapping
 * through the API.
 *
 * @example
 * const world = await startPipeline(startWebServer);
 * await world.close();
 */
export async function startPipeline(
  start: (options: NonNullable<Parameters<typeof startTestServer>[0]>) => Promise<TestServer>,
): Promise<PipelineWorld> {
  const github = await startFakeGitHub();
  const notion = await startFakeNotion();
  const vercel = await startFakeVercel({ stepMs: 50 });
  const llm = await startFakeLlm();
  const server = await start({
    env: {
      ...github.env(),
      ...fakeProviderEnv(llm.url, {
        anthropic: 'sk-ant-pipeline-0123456789',
        openai: 'sk-openai-pipeline-0123456789',
        compatible: 'sk-local-pipeline-0123456789',
      }),
      LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
      NOTION_API_URL: notion.url,
      NOTION_PICKUP_INTERVAL_MS: '0',
      VERCEL_API_URL: vercel.url,
      VERCEL_POLL_MS: '50',
    },
    runner: {
      driver: new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) }),
      slots: 1,
      pollMs: 50,
      warmPool: 0,
    },
  });
  const admin = await signUp(server.url, 'Ada Admin');
  const member = await signUp(server.url, 'Max Member');
  const teamId = (
    await ok<{ id: string }>(server, admin, 'POST', '/api/v1/workspaces', {
      name: 'Web team',
    })
  ).id;
  const invited = await ok<{ token: string }>(
    server,
    admin,
    'POST',
    `/api/v1/workspaces/${teamId}/invitations`,
    { email: member.email, role: 'member' },
  );
  await ok(server, member, 'POST', `/api/v1/workspace-invitations/${invited.token}/accept`);

  const account = github.addUser({ login: 'max' });
  const repo = await linkedRepo(server, {
    user: member,
    provider: 'github',
    fake: github,
    login: account.login,
    token: account.token,
    name: 'storefront',
    workspaceId: teamId,
  });
  await ok(server, admin, 'PATCH', `/api/v1/repos/${repo.id}`, {
    checkCommand: 'test -s README.md',
  });

  const project = vercel.addProject({
    name: 'storefront',
    link: { type: 'github', org: 'max', repo: 'storefront', repoId: 42 },
  });
  const vercelConnection = await ok<{ id: string }>(
    server,
    admin,
    'POST',
    '/api/integrations/vercel/token',
    { token: vercel.token, workspaceId: teamId },
  );
  await ok(server, admin, 'PUT', `/api/v1/repos/${repo.id}/vercel`, {
    connectionId: vercelConnection.id,
    projectId: project.id,
  });

  await ok(server, member, 'POST', '/api/integrations/notion/token', { token: notion.token });
  const database = notion.addDatabase({
    title: 'Storefront board',
    properties: {
      Name: { type: 'title' },
      Status: { type: 'status', options: Object.values(JOURNEY_STATUSES) },
      PR: { type: 'url' },
      Preview: { type: 'url' },
    },
  });
  await ok(server, member, 'PUT', `/api/v1/notion/databases/${database.id}/mapping`, {
    repoId: repo.id,
    statusProperty: 'Status',
    statusOptions: JOURNEY_STATUSES,
    prLinkProperty: 'PR',
    previewProperty: 'Preview',
    baseBranch: 'main',
  });

  return {
    github,
    notion,
    vercel,
    llm,
    server,
    admin,
    member,
    teamId,
    repo,
    database,
    async close() {
      await server.close();
      await github.close();
      await notion.stop();
      await vercel.stop();
      await llm.close();
    },
  };
}

/** Has the model propose {@link JOURNEY_PLAN} on the next run offered tools. */
export function scriptPlan(llm: FakeLlm): void {
  llm.script([{ when: offersTools, toolCalls: [{ name: 'submit_plan', input: JOURNEY_PLAN }] }]);
}

/** Has the model's next run write `file` and finish (Lucid then commits and pushes). */
export function scriptCoding(llm: FakeLlm, file: string): void {
  llm.script(
    shellTrajectory([{ command: `printf '<h1>${file}</h1>\\n' > ${file}` }], `Added ${file}.`, {
      finishTool: 'finish',
    }),
  );
}
