import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Board, Commit, Repo } from '@lucid/contracts';
import { repositories } from '../src/db/schema.ts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';
import { openBoardStream } from './support/board-stream.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { authedUrl, gitOk } from './support/git.ts';
import { pushedRepo, startTask, taskEvents, waitForStatus } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
let user: TestUser;

beforeAll(async () => {
  const driver = new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) });
  server = await startTestServer({
    runner: { driver, slots: 1, leaseMs: 3_000, maxRuntimeMs: 120_000, pollMs: 100, warmPool: 0 },
  });
  user = await signUp(server.url, 'Ada Reviewer');
});
afterAll(async () => {
  await server.close();
});

/** Shell that writes a file in the task's workspace, commits it and pushes the task branch. */
function commitFile(file: string, content: string): string {
  return [
    `printf '%s' '${content}' > ${file}`,
    'git add -A',
    `git -c user.name=Agent -c user.email=agent@example.test commit -qm 'Write ${file}'`,
    'git push -q origin HEAD:refs/heads/$(git branch --show-current)',
  ].join(' && ');
}

/** A repository, and a task on it that committed `file` and now waits in review. */
async function taskInReview(name: string, file: string, content: string) {
  const repo = await pushedRepo(server.url, user, name);
  const { task } = await startTask(server.url, user, {
    repoId: repo.id,
    prompt: `Write ${file}`,
    commands: [commitFile(file, content)],
  });
  await waitForStatus(server.url, user, task.id, ['in_review', 'failed']).then((t) =>
    expect(t.status).toBe('in_review'),
  );
  return { repo, task };
}

/** Pushes a commit changing `file` to main, as another person would. */
async function pushToMain(cloneUrl: string, file: string, content: string) {
  const dir = await mkdtemp(path.join(tmpdir(), 'lucid-other-'));
  await gitOk(['clone', '--quiet', authedUrl(cloneUrl, user.token), dir]);
  await writeFile(path.join(dir, file), content);
  await gitOk(['add', '-A'], dir);
  await gitOk(['commit', '--quiet', '-m', `Change ${file} on main`], dir);
  await gitOk(['push', '--quiet', 'origin', 'main'], dir);
}

async function freshClone(cloneUrl: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lucid-clone-'));
  await gitOk(['clone', '--quiet', '--branch', 'main', authedUrl(cloneUrl, user.token), dir]);
  return dir;
}

function approve(taskId: string) {
  return request<{
    task: { status: string };
    merge: { sha: string; strategy: string; into: string } | null;
    error?: { code: string; message: string; details?: { files: string[] } };
  }>(server.url, 'POST', `/api/v1/tasks/${taskId}/approve`, { token: user.token });
}

describe('approving a task merges its branch in the git server', () => {
  it('fast-forwards the base branch when it has not moved', async () => {
    const { repo, task } = await taskInReview('merge-ff', 'agent.txt', 'from the agent');
    const approved = await approve(task.id);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.task.status).toBe('done');
    expect(approved.body.merge).toMatchObject({ strategy: 'fast-forward', into: 'main' });

    const clone = await freshClone(repo.cloneUrl);
    expect(await readFile(path.join(clone, 'agent.txt'), 'utf8')).toBe('from the agent');
    expect((await gitOk(['rev-parse', 'HEAD'], clone)).trim()).toBe(approved.body.merge?.sha);
    expect((await gitOk(['log', '-1', '--format=%s'], clone)).trim()).toBe('Write agent.txt');

    // The checks before a push are recorded by a job that may end after the approval.
    const events = (await taskEvents(server.url, user, task.id)).filter(
      (e) => !e.type.startsWith('safety.'),
    );
    const tail = events.slice(-3);
    expect(tail).toMatchObject([
      { type: 'review', decision: 'approved' },
      { type: 'git.merge', branch: task.branch, into: 'main', sha: approved.body.merge?.sha },
      { type: 'task.status', status: 'done' },
    ]);

    const again = await approve(task.id);
    expect(again.status).toBe(409);
    expect(again.body.error?.code).toBe('invalid_transition');
  });

  it('makes a merge commit, authored by Lucid and committed by the approver, when main moved', async () => {
    const { repo, task } = await taskInReview('merge-commit', 'agent.txt', 'agent work');
    await pushToMain(repo.cloneUrl, 'other.txt', 'meanwhile on main');

    const approved = await approve(task.id);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.merge?.strategy).toBe('merge-commit');

    const clone = await freshClone(repo.cloneUrl);
    expect(await readFile(path.join(clone, 'agent.txt'), 'utf8')).toBe('agent work');
    expect(await readFile(path.join(clone, 'other.txt'), 'utf8')).toBe('meanwhile on main');
    const head = await gitOk(['log', '-1', '--format=%H%n%P%n%an <%ae>%n%cn <%ce>'], clone);
    const [sha, parents, author, committer] = head.trim().split('\n');
    expect(sha).toBe(approved.body.merge?.sha);
    expect(parents?.split(' ')).toHaveLength(2);
    expect(author).toBe('Lucid <lucid@localhost>');
    expect(committer).toBe(`Ada Reviewer <${user.email}>`);
    const agentCommit = (await gitOk(['log', '--format=%s', 'HEAD^2', '-1'], clone)).trim();
    expect(agentCommit).toBe('Write agent.txt');
  });

  it('answers 409 merge_conflict with the files, leaving the card in review and main as it was', async () => {
    const { repo, task } = await taskInReview('merge-conflict', 'README.md', 'agent readme');
    await pushToMain(repo.cloneUrl, 'README.md', 'someone else');
    const before = await freshClone(repo.cloneUrl);
    const mainBefore = (await gitOk(['rev-parse', 'HEAD'], before)).trim();

    const refused = await approve(task.id);
    expect(refused.status).toBe(409);
    expect(refused.body.error?.code).toBe('merge_conflict');
    expect(refused.body.error?.details).toEqual({ files: ['README.md'] });
    expect(refused.body.error?.message).toContain('README.md');

    const after = await freshClone(repo.cloneUrl);
    expect((await gitOk(['rev-parse', 'HEAD'], after)).trim()).toBe(mainBefore);
    const view = await request<{ status: string }>(server.url, 'GET', `/api/v1/tasks/${task.id}`, {
      token: user.token,
    });
    expect(view.body.status).toBe('in_review');
  });

  it('refuses a repository with an upstream until its pull request is open', async () => {
    const { repo, task } = await taskInReview('merge-upstream', 'agent.txt', 'x');
    await server.database.db
      .update(repositories)
      .set({ provider: 'github', upstreamFullName: 'octo/merge-upstream', upstreamUserId: user.id })
      .where(eq(repositories.id, repo.id));
    const refused = await approve(task.id);
    expect(refused.status).toBe(409);
    expect(refused.body.error?.code).toBe('invalid_transition');
    expect(refused.body.error?.message).toContain('has no pull request on GitHub yet');
  });
});

async function commitsOf(repoId: string): Promise<Commit[]> {
  const listed = await request<{ commits: Commit[] }>(
    server.url,
    'GET',
    `/api/v1/repos/${repoId}/commits`,
    { token: user.token },
  );
  expect(listed.status).toBe(200);
  return listed.body.commits;
}

async function cardOf(repoId: string, taskId: string) {
  const read = await request<Board>(server.url, 'GET', `/api/v1/repos/${repoId}/board`, {
    token: user.token,
  });
  expect(read.status).toBe(200);
  return read.body.columns.flatMap((c) => c.cards).find((card) => card.id === taskId);
}

describe('views that follow the branches', () => {
  it("shows a card's branch with what it changes against its base branch", async () => {
    const { repo, task } = await taskInReview('stats-card', 'notes.txt', 'one\ntwo\nthree');
    const card = await cardOf(repo.id, task.id);
    expect(card?.branch).toBe(task.branch);
    expect(card?.diffStats).toEqual({ filesChanged: 1, insertions: 3, deletions: 0 });

    const todo = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: { repoId: repo.id, prompt: 'Not started', commands: ['true'], start: false },
    });
    expect((await cardOf(repo.id, todo.body.task.id))?.diffStats).toBeNull();
  });

  it('labels the commits of a branch not merged yet, and moves them to the default branch on approval', async () => {
    const { repo, task } = await taskInReview('labels', 'agent.txt', 'from the agent');
    const before = await commitsOf(repo.id);
    expect(before.find((c) => c.subject === 'Write agent.txt')).toMatchObject({
      branch: task.branch,
      onDefaultBranch: false,
    });
    expect(before.find((c) => c.subject !== 'Write agent.txt')).toMatchObject({
      branch: 'main',
      onDefaultBranch: true,
    });

    const pushedAt = async () =>
      (
        await request<Repo>(server.url, 'GET', `/api/v1/repos/${repo.id}`, {
          token: user.token,
        })
      ).body.lastPushedAt;
    const lastPush = await pushedAt();
    const viewer = await openBoardStream(server.url, repo.id, user.token);
    expect((await approve(task.id)).status).toBe(200);
    await viewer.waitFor((m) => m.kind === 'refs.changed');
    viewer.close();
    expect(await pushedAt()).not.toBe(lastPush);
    const after = await commitsOf(repo.id);
    expect(after.find((c) => c.subject === 'Write agent.txt')).toMatchObject({
      branch: 'main',
      onDefaultBranch: true,
    });
  });

  it('tells board viewers when someone pushes to the repository', async () => {
    const repo = await pushedRepo(server.url, user, 'pushed-live');
    const viewer = await openBoardStream(server.url, repo.id, user.token);
    await pushToMain(repo.cloneUrl, 'more.txt', 'more');
    await viewer.waitFor((m) => m.kind === 'refs.changed');
    viewer.close();
  });
});
