/**
 * The GitLab adapter against the fake GitLab: the forge port's conformance suite.
 */
import { createGitLabForge } from '../../src/forges/gitlab/gitlab-forge.ts';
import { startFakeGitLab } from '../fakes/gitlab/index.ts';
import { forgeConformance } from './conformance.ts';

forgeConformance('GitLab', async () => {
  const fake = await startFakeGitLab();
  const deliver = (event: string, payload: object, secret?: string) =>
    fake.webhook(event, payload, secret === undefined ? {} : { secret });
  return {
    provider: 'gitlab',
    forge: createGitLabForge({ webUrl: fake.webUrl, apiUrl: fake.apiUrl }),
    app: { clientId: fake.clientId, clientSecret: fake.clientSecret },
    webhookSecret: fake.webhookSecret,
    addUser: async (login) => fake.addUser({ login }),
    addRepo: (owner, name, options) => fake.addRepo(owner, name, options),
    repoPath: (fullName) => fake.repoPath(fullName),
    pulls: (fullName) => fake.pulls(fullName),
    comments: (fullName, issue) => fake.comments(fullName, issue),
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
