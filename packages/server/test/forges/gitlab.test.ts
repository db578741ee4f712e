/**
 * The GitLab adapter against the fake GitLab: the forge port's conformance suite.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it, describe } from 'vitest';
import { ForgeError } from '../../src/forges/forge.ts';
import { createGitLabForge } from '../../src/forges/gitlab/gitlab-forge.ts';
import { startFakeGitLab } from '../fakes/gitlab/index.ts';
import { forgeConformance } from './conformance.ts';

forgeConformance('GitLab', async () => {
  const fake = await startFakeGitLab();
  // The secret of the repository's webhook, as Lucid made it and the owner pasted it on the forge.
  const webhookSecret = randomBytes(32).toString('hex');
  const deliver = (event: string, payload: object, secret = webhookSecret) =>
    fake.webhook(event, payload, { secret });
  return {
    provider: 'gitlab',
    forge: createGitLabForge({ webUrl: fake.webUrl, apiUrl: fake.apiUrl }),
    app: { clientId: fake.clientId, clientSecret: fake.clientSecret },
    webhookSecret,
    addUser: async (login) => fake.addUser({ login }),
    addRepo: (owner, name, options) => fake.addRepo(owner, name, options),
    repoPath: (fullName) => fake.repoPath(fullName),
    pulls: (fullName) => fake.pulls(fullName),
    comments: (fullName, issue) => fake.comments(fullName, issue),
    pullComments: (fullName, number) => fake.mergeRequestComments(fullName, number),
    createIssue: (fullName, title) => fake.createIssue(fullName, { title, body: 'Details' }).number,
    revoke: (token) => fake.revoke(token),
    expire: (token) => fake.expire(token),
    authorizeAs: (login) => fake.authorizeAs(login),
    labelled: (fullName, issue, label, sender, secret) =>
      deliver('Issue Hook', fake.payloads.issueLabeled(fullName, issue, label, sender), secret),
    commented: (fullName, issue, body, sender) =>
      deliver('Note Hook', fake.payloads.issueComment(fullName, issue, body, sender)),
    other: (fullName) =>
      deliver('Push Hook', {
        object_kind: 'push',
        ref: 'refs/heads/main',
        project: { path_with_namespace: fullName },
      }),
    requests: fake.requests,
    close: () => fake.close(),
  };
});

describe('GitLab: projects in nested groups', () => {
  let fake: Awaited<ReturnType<typeof startFakeGitLab>>;
  beforeAll(async () => {
    fake = await startFakeGitLab();
  });
  afterAll(() => fake.close());

  it('reads, lists and opens merge requests on group/subgroup/name', async () => {
    const { token } = fake.addUser({ login: 'team' });
    await fake.addRepo('team/platform', 'api', {
      files: { 'README.md': '# api\n' },
      private: true,
    });
    const forge = createGitLabForge({ webUrl: fake.webUrl, apiUrl: fake.apiUrl });
    expect(await forge.getRepo(token, 'team/platform/api')).toMatchObject({
      fullName: 'team/platform/api',
      name: 'api',
      private: true,
    });
    expect((await forge.listRepos(token, { q: 'api', page: 1, perPage: 10 })).repos).toHaveLength(
      1,
    );
    expect(forge.gitRemote(token, 'team/platform/api').url).toBe(
      `${fake.webUrl}/team/platform/api.git`,
    );
    expect(
      await forge.findPullRequest(token, { repo: 'team/platform/api', head: 'x', base: 'main' }),
    ).toBeNull();
  });
});

describe('GitLab: failures', () => {
  let fake: Awaited<ReturnType<typeof startFakeGitLab>>;
  beforeAll(async () => {
    fake = await startFakeGitLab();
  });
  afterAll(() => fake.close());

  it('rides out a brief rate limit, reports server errors and a dead address as unreachable', async () => {
    const { token } = fake.addUser({ login: 'limited' });
    const forge = createGitLabForge({ webUrl: fake.webUrl, apiUrl: fake.apiUrl });
    const kindOf = (promise: Promise<unknown>) =>
      promise.then(
        () => 'ok',
        (error: unknown) => (error instanceof ForgeError ? error.kind : String(error)),
      );
    // gitbeaker retries a 429 after a short delay.
    fake.fail('rate_limit');
    expect(await kindOf(forge.account(token))).toBe('ok');
    fake.fail(500);
    expect(await kindOf(forge.account(token))).toBe('unreachable');
    fake.fail(403);
    expect(await kindOf(forge.getRepo(token, 'limited/none'))).toBe('forbidden');
    const dead = createGitLabForge({
      webUrl: 'http://127.0.0.1:1',
      apiUrl: 'http://127.0.0.1:1/api/v4',
    });
    expect(await kindOf(dead.account(token))).toBe('unreachable');
    const error = await dead.account(token).catch((e: unknown) => e as Error);
    expect((error as Error).message).not.toContain(token);
  });
});
