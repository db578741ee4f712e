import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cutTitle, parseNames, titleFromPrompt } from '../src/tasks/task-naming.ts';
import { startFakeLlm, type FakeLlm } from './fakes/llm/index.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { fakeProviderEnv } from './support/providers.ts';
import { pushedRepo, taskEvents } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

let llm: FakeLlm;
let server: TestServer;
let user: TestUser;
let repoId: string;

beforeAll(async () => {
  llm = await startFakeLlm();
  server = await startTestServer({
    env: {
      ...fakeProviderEnv(llm.url, {
        anthropic: 'sk-ant-naming-0123456789',
        openai: 'sk-openai-naming-0123456789',
        compatible: 'sk-local-naming-0123456789',
      }),
      LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
      LUCID_SMALL_MODEL: 'openai-chat/gpt-5-mini',
    },
  });
  user = await signUp(server.url);
  repoId = (await pushedRepo(server.url, user, 'naming-repo')).id;
});
afterAll(async () => {
  await server.close();
  await llm.close();
});
beforeEach(() => llm.reset());

async function createTask(json: Record<string, unknown>) {
  const created = await request<{ task: { id: string; title: string; branch: string } }>(
    server.url,
    'POST',
    '/api/v1/tasks',
    { token: user.token, json: { repoId, start: false, ...json } },
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.task;
}

describe('task naming with LUCID_SMALL_MODEL', () => {
  it('takes the title and branch slug the small model proposes, and records what it used', async () => {
    llm.script([
      {
        text: 'title: Fix the login redirect loop\nbranch: fix-login-redirect',
        usage: { inputTokens: 120, outputTokens: 14 },
      },
    ]);
    const task = await createTask({
      prompt: 'After signing in, the page keeps redirecting to /login forever. Please fix.',
    });
    expect(task.title).toBe('Fix the login redirect loop');
    expect(task.branch).toMatch(/^lucid\/fix-login-redirect-[a-z0-9]{6}$/);

    const [call] = llm.requests.filter((r) => r.protocol === 'openai-chat');
    expect(call?.body).toMatchObject({ model: 'gpt-5-mini' });
    expect(JSON.stringify(call?.body)).toContain('keeps redirecting to /login');

    const usage = (await taskEvents(server.url, user, task.id)).filter((e) => e.type === 'usage');
    expect(usage).toMatchObject([
      { model: 'openai-chat/gpt-5-mini', inputTokens: 120, outputTokens: 14, runId: null },
    ]);
  });

  it("keeps the user's title and still takes the model's slug", async () => {
    llm.script([{ text: 'title: Something else\nbranch: add-dark-mode' }]);
    const task = await createTask({ prompt: 'Add a dark mode toggle', title: 'Dark mode' });
    expect(task.title).toBe('Dark mode');
    expect(task.branch).toMatch(/^lucid\/add-dark-mode-[a-z0-9]{6}$/);
  });

  it('names the task from its own words when the answer is malformed', async () => {
    llm.script([{ text: 'Sure! Here is a great name: `Feature/UPPER case!!`' }]);
    const task = await createTask({ prompt: 'Add a health endpoint\nwith details' });
    expect(task.title).toBe('Add a health endpoint');
    expect(task.branch).toMatch(/^lucid\/add-a-health-endpoint-[a-z0-9]{6}$/);
  });

  it('names the task from its own words when the small model fails', async () => {
    llm.failNext(5, { status: 500 });
    const task = await createTask({ prompt: 'Remove the unused dependency' });
    expect(task.title).toBe('Remove the unused dependency');
    expect(task.branch).toMatch(/^lucid\/remove-the-unused-dependency-[a-z0-9]{6}$/);
  });
});

describe('parseNames', () => {
  it('keeps only slugs of lowercase words joined by single hyphens, at most 40 characters', () => {
    expect(parseNames('title: "Fix it"\nbranch: fix-it')).toEqual({
      title: 'Fix it',
      slug: 'fix-it',
    });
    expect(parseNames('title: T\nbranch: ../etc/passwd')).toEqual({ title: 'T' });
    expect(parseNames('branch: a--b')).toEqual({});
    expect(parseNames(`branch: ${'a'.repeat(41)}`)).toEqual({});
    expect(parseNames('BRANCH: Mixed-Case')).toEqual({ slug: 'mixed-case' });
  });
});

describe('titles cut to length', () => {
  it('cut at a word boundary with an ellipsis, never inside a word when a boundary is near', () => {
    expect(cutTitle('Make the sign-in page remember the last email address used', 30)).toBe(
      'Make the sign-in page…',
    );
    expect(cutTitle('Short enough', 30)).toBe('Short enough');
    expect(cutTitle('Exactly thirty characters long', 30)).toBe('Exactly thirty characters long');
    expect(cutTitle('Ends with a comma, then more words follow', 20)).toBe('Ends with a comma…');
    expect(cutTitle(`${'x'.repeat(50)} tail`, 20)).toBe(`${'x'.repeat(19)}…`);
    expect(cutTitle('  spaced\n\tout   words  ', 30)).toBe('spaced out words');
    expect(cutTitle(`${'a'.repeat(18)}😀 more`, 20)).toBe(`${'a'.repeat(18)}…`);
  });

  it('name a task from the first line of its prompt, at most 80 characters', () => {
    const line =
      'Refactor the board so that each card shows its branch and what it changes, and the repository page follows pushes';
    const title = titleFromPrompt(`${line}\n\nMore detail here.`);
    expect(title.length).toBeLessThanOrEqual(80);
    expect(title.endsWith('…')).toBe(true);
    expect(line.startsWith(title.slice(0, -1))).toBe(true);
    expect(line.charAt(title.length - 1)).toBe(' ');
    expect(titleFromPrompt('Fix the login loop\nsecond line')).toBe('Fix the login loop');
    expect(titleFromPrompt('   \n')).toBe('Task');
  });
});
