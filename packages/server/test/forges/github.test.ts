/**
 * The GitHub adapter against the fake GitHub: the forge port's conformance suite.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForgeError } from '../../src/forges/forge.ts';
import { createGitHubForge } from '../../src/forges/github/github-forge.ts';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github/index.ts';
import { forgeConformance } from './conformance.ts';

forgeConformance('GitHub', async () => {
  const fake = await startFakeGitHub();
  // The secret of the repository's webhook, as Lucid made it and the owner pasted it on the forge.
  const webhookSecret = randomBytes(32).toString('hex');
  const deliver = (event: string, payload: object, secret = webhookSecret) =>
    fake.webhook(event, payload, { secret });
  return {
    provider: 'github',
    forge: createGitHubForge({ webUrl: fake.webUrl, apiUrl: fake.apiUrl }),
    app: { clientId: fake.clientId, clientSecret: fake.clientSecret },
    webhookSecret,
    addUser: async (login) => fake.addUser({ login }),
    addRepo: (owner, name, options) => fake.addRepo(owner, name, options),
    repoPath: (fullName) => fake.repoPath(fullName),
    pulls: (fullName) => fake.pulls(fullName),
    comments: (fullName, issue) => fake.comments(fullName, issue),
    pullComments: (fullName, number) => fake.comments(fullName, number),
    createIssue: (fullName, title) => fake.createIssue(fullName, { title, body: 'Details' }).number,
    revoke: (token) => fake.revoke(token),
    authorizeAs: (login) => fake.authorizeAs(login),
    labelled: (fullName, issue, label, sender, secret) =>
      deliver('issues', fake.payloads.issueLabeled(fullName, issue, label, sender), secret),
    commented: (fullName, issue, body, sender) =>
      deliver('issue_comment', fake.payloads.issueComment(fullName, issue, body, sender)),
    other: (fullName) =>
      deliver('push', {
        ref: 'refs/heads/main',
        after: randomUUID(),
        repository: { full_name: fullName },
      }),
    requests: fake.requests,
    close: () => fake.close(),
  };
});

describe('GitHub: failures', () => {
  let fake: FakeGitHub;
  beforeAll(async () => {
    fake = await startFakeGitHub();
  });
  afterAll(() => fake.close());

  it('reports rate limits as rate_limited, server errors and a dead address as unreachable', async () => {
    const { token } = fake.addUser({ login: 'limited' });
    const forge = createGitHubForge({ webUrl: fake.webUrl, apiUrl: fake.apiUrl });
    const kindOf = (promise: Promise<unknown>) =>
      promise.then(
        () => 'ok',
        (error: unknown) => (error instanceof ForgeError ? error.kind : String(error)),
      );
    fake.fail('rate_limit');
    expect(await kindOf(forge.account(token))).toBe('rate_limited');
    fake.fail('secondary_rate_limit');
    expect(await kindOf(forge.account(token))).toBe('rate_limited');
    fake.fail(503);
    expect(await kindOf(forge.account(token))).toBe('unreachable');
    expect(await kindOf(forge.account(token))).toBe('ok');
    const dead = createGitHubForge({
      webUrl: 'http://127.0.0.1:1',
      apiUrl: 'http://127.0.0.1:1/api/v3',
    });
    expect(await kindOf(dead.account(token))).toBe('unreachable');
    const error = await dead.account(token).catch((e: unknown) => e as Error);
    expect((error as Error).message).not.toContain(token);
  });
});
