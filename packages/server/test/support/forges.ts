/**
 * Helpers for tests of publishing to a forge: a repository on Lucid linked to one on a fake
 * GitHub or GitLab (same history, the Lucid user's forge account connected), and waiting for an
 * event on a task.
 */
import { eq } from 'drizzle-orm';
import { connections, repositories } from '../../src/db/schema.ts';
import { bareRepoPath } from '../../src/git/bare-repo.ts';
import { newId } from '../../src/ids.ts';
import { sealSecret } from '../../src/secrets/secret-box.ts';
import type { TestUser } from './client.ts';
import { gitOk } from './git.ts';
import { pushedRepo, taskEvents, type EventView } from './tasks.ts';
import type { TestServer } from './test-server.ts';

/** What these tests ask of either fake forge. */
export interface FakeForgeLike {
  webUrl: string;
  addRepo(
    owner: string,
    name: string,
    options?: { files?: Record<string, string>; defaultBranch?: string; collaborators?: string[] },
  ): Promise<unknown>;
  repoPath(fullName: string): string;
}

/**
 * Connects `user`'s account on the forge (`login`, `token`) as the forge-connect flow stores it,
 * then makes a repository on Lucid mirrored from `login/name` on the forge: same history, its
 * upstream linked to that account, in `workspaceId` when given. `collaborators` may push to it on
 * the forge besides `login`.
 */
export async function linkedRepo(
  server: TestServer,
  {
    user,
    provider,
    fake,
    login,
    token,
    name,
    collaborators,
    workspaceId,
  }: {
    user: TestUser;
    provider: 'github' | 'gitlab';
    fake: FakeForgeLike;
    login: string;
    token: string;
    name: string;
    collaborators?: string[];
    workspaceId?: string;
  },
): Promise<{ id: string; fullName: string; upstreamPath: string }> {
  const { db } = server.database;
  await db
    .insert(connections)
    .values({
      id: newId('conn'),
      userId: user.id,
      provider,
      method: 'token',
      sealedAccessToken: sealSecret(server.config.encryptionKey, token),
      accountId: login,
      login,
      baseUrl: fake.webUrl,
    })
    .onConflictDoNothing();
  const fullName = `${login}/${name}`;
  await fake.addRepo(login, name, {
    defaultBranch: 'main',
    ...(collaborators ? { collaborators } : {}),
  });
  const repo = await pushedRepo(server.url, user, name, workspaceId);
  const upstreamPath = fake.repoPath(fullName);
  await gitOk(
    ['push', '--quiet', upstreamPath, 'refs/heads/main:refs/heads/main'],
    bareRepoPath(`${server.dataDir}/git`, repo.id),
  );
  await db
    .update(repositories)
    .set({
      provider,
      upstreamFullName: fullName,
      upstreamUrl: `${fake.webUrl}/${fullName}`,
      upstreamUserId: user.id,
    })
    .where(eq(repositories.id, repo.id));
  return { id: repo.id, fullName, upstreamPath };
}

/** Polls the task's events until one matches; fails after `timeoutMs`. */
export async function waitForEvent(
  server: TestServer,
  user: TestUser,
  taskId: string,
  match: (event: EventView) => boolean,
  timeoutMs = 60_000,
): Promise<EventView> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = (await taskEvents(server.url, user, taskId)).find(match);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  const types = (await taskEvents(server.url, user, taskId)).map((e) => e.type).join(', ');
  throw new Error(`task ${taskId} never got the event waited for; it has: ${types}`);
}
