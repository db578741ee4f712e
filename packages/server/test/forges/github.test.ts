/**
 * The GitHub adapter against the fake GitHub: the forge port's conformance suite.
 */
import { randomUUID } from 'node:crypto';
import { createGitHubForge } from '../../src/forges/github/github-forge.ts';
import { startFakeGitHub } from '../fakes/github/index.ts';
import { forgeConformance } from './conformance.ts';

forgeConformance('GitHub', async () => {
  const fake = await startFakeGitHub();
  const deliver = (event: string, payload: object, secret?: string) =>
    fake.webhook(event, payload, secret === undefined ? {} : { secret });
  return {
    provider: 'github',
    forge: createGitHubForge({ webUrl: fake.webUrl, apiUrl: fake.apiUrl }),
    app: { clientId: fake.clientId, clientSecret: fake.clientSecret },
    webhookSecret: fake.webhookSecret,
    addUser: async (login) => fake.addUser({ login }),
    addRepo: (owner, name, options) => fake.addRepo(owner, name, options),
    repoPath: (fullName) => fake.repoPath(fullName),
    pulls: (fullName) => fake.pulls(fullName),
    comments: (fullName, issue) => fake.comments(fullName, issue),
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
