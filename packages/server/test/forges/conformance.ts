/**
 * @module The forge port's conformance suite: one set of behaviours every adapter must show, run
 * against the fake of its forge (`github.test.ts`, `gitlab.test.ts`) with real git on both sides.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForgeProvider } from '@lucid/contracts';
import { ForgeError, type Forge, type OAuthApp } from '../../src/forges/forge.ts';
import { git, gitOk } from '../support/git.ts';
import type { ForgeRequest } from '../fakes/forge-shared/http.ts';

/** A webhook delivery as the forge would POST it. */
export interface Delivery {
  headers: Record<string, string>;
  body: string;
}

/** What the suite needs of a fake forge, the same for both. */
export interface ForgeHarness {
  provider: ForgeProvider;
  forge: Forge;
  app: OAuthApp;
  webhookSecret: string;
  addUser(login: string): Promise<{ login: string; token: string; id: number }>;
  addRepo(
    owner: string,
    name: string,
    options?: { files?: Record<string, string>; private?: boolean; collaborators?: string[] },
  ): Promise<{ fullName: string }>;
  repoPath(fullName: string): string;
  pulls(fullName: string): Array<{
    number: number;
    head: string;
    base: string;
    title: string;
    body: string;
    state: string;
  }>;
  comments(fullName: string, issue: number): Array<{ body: string }>;
  /** The comments on a pull or merge request. */
  pullComments(fullName: string, number: number): Array<{ body: string }>;
  createIssue(fullName: string, title: string): number;
  revoke(token: string): void;
  authorizeAs(login: string): void;
  /** An issue labelled `label` by `sender`. */
  labelled(
    fullName: string,
    issue: number,
    label: string,
    sender: string,
    secret?: string,
  ): Delivery;
  /** A new comment on an issue. */
  commented(fullName: string, issue: number, body: string, sender: string): Delivery;
  /** An event Lucid does not act on (a push). */
  other(fullName: string): Delivery;
  /** Makes an OAuth access token refused until refreshed (GitLab only). */
  expire?: (token: string) => void;
  requests: ForgeRequest[];
  close(): Promise<void>;
}

const REDIRECT = 'http://127.0.0.1:9/api/v1/integrations/callback';

/** Runs the whole suite against one harness. */
export function forgeConformance(name: string, start: () => Promise<ForgeHarness>): void {
  describe(`${name}: the forge port`, () => {
    let h: ForgeHarness;
    let alice: { login: string; token: string };
    let repo: string;
    /** Where the suite's clones go, removed at the end. */
    let scratch: string;

    beforeAll(async () => {
      scratch = await mkdtemp(path.join(tmpdir(), 'forge-conformance-'));
      h = await start();
      alice = await h.addUser('alice');
      repo = (await h.addRepo('alice', 'demo', { files: { 'README.md': '# demo\n' } })).fullName;
    });
    afterAll(async () => {
      await h.close();
      await rm(scratch, { recursive: true, force: true });
    });

    /** An OAuth round trip through the fake's consent page; returns the code and state it gave. */
    async function consent(
      login: string,
      challenge: string,
      state = randomBytes(8).toString('hex'),
    ) {
      h.authorizeAs(login);
      const url = h.forge.authorizeUrl({
        app: h.app,
        state,
        codeChallenge: challenge,
        redirectUri: REDIRECT,
      });
      const response = await fetch(url, { redirect: 'manual' });
      expect(response.status).toBe(302);
      const back = new URL(response.headers.get('location')!);
      expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
      return { code: back.searchParams.get('code')!, state: back.searchParams.get('state') };
    }

    const pkce = () => {
      const verifier = randomBytes(32).toString('base64url');
      return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
    };

    async function expectForgeError(promise: Promise<unknown>, kind: ForgeError['kind']) {
      const error = await promise.then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ForgeError);
      expect((error as ForgeError).kind).toBe(kind);
      return error as ForgeError;
    }

    /** Clones with the forge's git credentials, commits `files` on `branch`, pushes it. */
    async function pushBranch(
      token: string,
      branch: string,
      files: Record<string, string>,
      from = 'main',
    ) {
      const remote = h.forge.gitRemote(token, repo);
      const auth = `http.extraHeader=Authorization: Basic ${Buffer.from(`${remote.username}:${remote.password}`).toString('base64')}`;
      const dir = await mkdtemp(path.join(scratch, 'clone-'));
      await gitOk(['-c', auth, 'clone', '--quiet', '--branch', from, remote.url, dir]);
      await gitOk(['checkout', '--quiet', '-B', branch], dir);
      for (const [file, content] of Object.entries(files))
        await writeFile(path.join(dir, file), content);
      await gitOk(['add', '-A'], dir);
      await gitOk(['commit', '--quiet', '-m', `Change on ${branch}`], dir);
      await gitOk(['-c', auth, 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], dir);
      return (await gitOk(['rev-parse', 'HEAD'], dir)).trim();
    }

    it('signs in by OAuth with state and PKCE, once per code', async () => {
      const { verifier, challenge } = pkce();
      const { code, state } = await consent('alice', challenge, 'state-123');
      expect(state).toBe('state-123');
      const tokens = await h.forge.exchangeCode({
        app: h.app,
        code,
        codeVerifier: verifier,
        redirectUri: REDIRECT,
      });
      expect(tokens.accessToken).not.toBe('');
      expect((await h.forge.account(tokens.accessToken)).login).toBe('alice');
      // A code is good once.
      await expectForgeError(
        h.forge.exchangeCode({ app: h.app, code, codeVerifier: verifier, redirectUri: REDIRECT }),
        'invalid',
      );
      // A code is good only with the verifier of its challenge.
      const other = await consent('alice', pkce().challenge);
      await expectForgeError(
        h.forge.exchangeCode({
          app: h.app,
          code: other.code,
          codeVerifier: verifier,
          redirectUri: REDIRECT,
        }),
        'invalid',
      );
      // And only for the app it was given to.
      const third = await consent('alice', challenge);
      await expect(
        h.forge.exchangeCode({
          app: { clientId: h.app.clientId, clientSecret: 'wrong' },
          code: third.code,
          codeVerifier: verifier,
          redirectUri: REDIRECT,
        }),
      ).rejects.toBeInstanceOf(ForgeError);
    });

    it('reads the account of a token', async () => {
      const account = await h.forge.account(alice.token);
      expect(account).toMatchObject({ login: 'alice' });
      expect(account.id).toMatch(/^\d+$/);
      if (h.provider === 'github') expect(account.scopes).toContain('repo');
    });

    it('lists repositories page by page, newest first, and by name', async () => {
      const bob = await h.addUser('bob');
      for (const name of ['alpha', 'beta', 'gamma', 'alphabet', 'delta'])
        await h.addRepo('bob', name);
      const first = await h.forge.listRepos(bob.token, { page: 1, perPage: 2 });
      expect(first.repos.map((r) => r.name)).toEqual(['delta', 'alphabet']);
      expect(first.nextPage).toBe(2);
      const second = await h.forge.listRepos(bob.token, { page: 2, perPage: 2 });
      expect(second.repos.map((r) => r.name)).toEqual(['gamma', 'beta']);
      const last = await h.forge.listRepos(bob.token, { page: 3, perPage: 2 });
      expect(last.repos.map((r) => r.name)).toEqual(['alpha']);
      expect(last.nextPage).toBeNull();
      const search = await h.forge.listRepos(bob.token, { q: 'ALPHA', page: 1, perPage: 1 });
      expect(search.repos.map((r) => r.fullName)).toEqual(['bob/alphabet']);
      expect(search.nextPage).toBe(2);
      const rest = await h.forge.listRepos(bob.token, { q: 'alpha', page: 2, perPage: 1 });
      expect(rest.repos.map((r) => r.fullName)).toEqual(['bob/alpha']);
      expect(rest.nextPage).toBeNull();
      // Alice's repositories are not Bob's.
      expect(
        (await h.forge.listRepos(alice.token, { page: 1, perPage: 50 })).repos.map(
          (r) => r.fullName,
        ),
      ).toEqual([repo]);
    });

    it('reads one repository, and answers not_found for one it cannot see', async () => {
      const found = await h.forge.getRepo(alice.token, repo);
      expect(found).toMatchObject({
        provider: h.provider,
        name: 'demo',
        fullName: repo,
        private: false,
        defaultBranch: 'main',
      });
      expect(found.url).toMatch(/^http/);
      const carol = await h.addUser('carol');
      await h.addRepo('carol', 'secret', { private: true });
      await expectForgeError(h.forge.getRepo(alice.token, 'carol/secret'), 'not_found');
      await expectForgeError(h.forge.getRepo(alice.token, 'alice/none'), 'not_found');
      expect((await h.forge.getRepo(carol.token, 'carol/secret')).private).toBe(true);
    });

    it('clones and pushes with the git credentials it gives, and only with them', async () => {
      const sha = await pushBranch(alice.token, 'feature/git', { 'git.txt': 'pushed\n' });
      expect((await gitOk(['rev-parse', 'refs/heads/feature/git'], h.repoPath(repo))).trim()).toBe(
        sha,
      );
      const remote = h.forge.gitRemote('not-a-token', repo);
      const dir = await mkdtemp(path.join(scratch, 'clone-'));
      const auth = `http.extraHeader=Authorization: Basic ${Buffer.from(`${remote.username}:${remote.password}`).toString('base64')}`;
      const refused = await git(['-c', auth, 'clone', '--quiet', remote.url, dir]);
      expect(refused.code).not.toBe(0);
    });

    it('opens a pull request once, then updates it', async () => {
      await pushBranch(alice.token, 'lucid/add-feature', { 'feature.txt': 'one\n' });
      const input = {
        repo,
        head: 'lucid/add-feature',
        base: 'main',
        title: 'Add feature',
        body: 'First',
      };
      expect(await h.forge.findPullRequest(alice.token, input)).toBeNull();
      const opened = await h.forge.openPullRequest(alice.token, input);
      expect(opened).toMatchObject({
        created: true,
        state: 'open',
        head: 'lucid/add-feature',
        base: 'main',
      });
      expect(opened.url).toMatch(/^http/);
      expect(h.pulls(repo)).toContainEqual(
        expect.objectContaining({
          number: opened.number,
          title: 'Add feature',
          body: 'First',
          state: 'open',
        }),
      );
      const again = await h.forge.openPullRequest(alice.token, {
        ...input,
        title: 'Add the feature',
        body: 'Second',
      });
      expect(again).toMatchObject({ created: false, number: opened.number });
      expect(h.pulls(repo).filter((p) => p.head === 'lucid/add-feature')).toEqual([
        expect.objectContaining({ title: 'Add the feature', body: 'Second' }),
      ]);
      expect(await h.forge.findPullRequest(alice.token, input)).toMatchObject({
        number: opened.number,
      });
      const updated = await h.forge.updatePullRequest(alice.token, {
        repo,
        number: opened.number,
        title: 'Final title',
        body: 'Final body',
      });
      expect(updated.number).toBe(opened.number);
      expect(h.pulls(repo).find((p) => p.number === opened.number)).toMatchObject({
        title: 'Final title',
      });
    });

    it('merges for real, and reports a conflict as conflict', async () => {
      const one = await pushBranch(alice.token, 'lucid/one', { 'README.md': '# demo, one\n' });
      const two = await pushBranch(alice.token, 'lucid/two', { 'README.md': '# demo, two\n' });
      const first = await h.forge.openPullRequest(alice.token, {
        repo,
        head: 'lucid/one',
        base: 'main',
        title: 'One',
        body: '',
      });
      const second = await h.forge.openPullRequest(alice.token, {
        repo,
        head: 'lucid/two',
        base: 'main',
        title: 'Two',
        body: '',
      });
      const merged = await h.forge.mergePullRequest(alice.token, { repo, number: first.number });
      const bare = h.repoPath(repo);
      expect((await gitOk(['rev-parse', 'refs/heads/main'], bare)).trim()).toBe(merged.sha);
      expect((await git(['merge-base', '--is-ancestor', one, 'refs/heads/main'], bare)).code).toBe(
        0,
      );
      expect(h.pulls(repo).find((p) => p.number === first.number)?.state).toBe('merged');
      await expectForgeError(
        h.forge.mergePullRequest(alice.token, { repo, number: second.number }),
        'conflict',
      );
      expect(
        (await git(['merge-base', '--is-ancestor', two, 'refs/heads/main'], bare)).code,
      ).not.toBe(0);
      expect((await gitOk(['rev-parse', 'refs/heads/main'], bare)).trim()).toBe(merged.sha);
    });

    it('comments on an issue', async () => {
      const issue = h.createIssue(repo, 'Please fix');
      await h.forge.comment(alice.token, { repo, issue, body: 'On it: a task is running.' });
      expect(h.comments(repo, issue).map((c) => c.body)).toEqual(['On it: a task is running.']);
    });

    it('comments on a pull request, not on an issue of the same number', async () => {
      await pushBranch(alice.token, 'lucid/comment', { 'comment.txt': 'hi\n' });
      const pr = await h.forge.openPullRequest(alice.token, {
        repo,
        head: 'lucid/comment',
        base: 'main',
        title: 'Comment',
        body: '',
      });
      // On GitLab an issue may have the request's number: it must not get the comment.
      let issue = h.createIssue(repo, 'Numbered like the request');
      while (issue < pr.number) issue = h.createIssue(repo, 'Numbered like the request');
      await h.forge.commentOnPullRequest(alice.token, {
        repo,
        number: pr.number,
        body: 'A preview is ready.',
      });
      expect(h.pullComments(repo, pr.number).map((c) => c.body)).toEqual(['A preview is ready.']);
      expect(h.comments(repo, issue)).toEqual([]);
    });

    it('tells who may write to a repository: the owner and collaborators, not strangers', async () => {
      const erin = await h.addUser('erin');
      const mallory = await h.addUser('mallory');
      const { fullName: shared } = await h.addRepo('alice', 'shared', {
        files: { 'README.md': '# shared\n' },
        collaborators: ['erin'],
      });
      const may = (who: { login: string; id: number }, token = alice.token) =>
        h.forge.canWrite(token, { repo: shared, login: who.login, userId: String(who.id) });
      const owner = { login: alice.login, id: Number((await h.forge.account(alice.token)).id) };
      expect(await may(owner)).toBe(true);
      expect(await may(erin)).toBe(true);
      expect(await may(mallory)).toBe(false);
      // A collaborator asks the same question with their own token.
      expect(await may(mallory, erin.token)).toBe(false);
      // A user the forge does not know may not write.
      expect(await may({ login: 'nobody-at-all', id: 987654 })).toBe(false);
      await expectForgeError(
        h.forge.canWrite('not-a-token', {
          repo: shared,
          login: erin.login,
          userId: String(erin.id),
        }),
        'unauthorized',
      );
    });

    it('reports a refused token as unauthorized, and never sends the token elsewhere', async () => {
      const dave = await h.addUser('dave');
      const { fullName: davesRepo } = await h.addRepo('dave', 'private', {
        files: { 'README.md': 'dave\n' },
        private: true,
      });
      const remote = h.forge.gitRemote(dave.token, davesRepo);
      const auth = `http.extraHeader=Authorization: Basic ${Buffer.from(`${remote.username}:${remote.password}`).toString('base64')}`;
      expect((await git(['-c', auth, 'ls-remote', remote.url])).code).toBe(0);
      await h.forge.account(dave.token);
      h.revoke(dave.token);
      expect((await git(['-c', auth, 'ls-remote', remote.url])).code).not.toBe(0);
      await expectForgeError(h.forge.account(dave.token), 'unauthorized');
      await expectForgeError(
        h.forge.listRepos(dave.token, { page: 1, perPage: 10 }),
        'unauthorized',
      );
      await expectForgeError(h.forge.getRepo('nonsense-token', repo), 'unauthorized');
      for (const request of h.requests) {
        expect(request.path).not.toContain(dave.token);
        expect(request.path).not.toContain(alice.token);
      }
    });

    it('verifies webhook deliveries with its secret', async () => {
      const issue = h.createIssue(repo, 'Webhook issue');
      const good = h.labelled(repo, issue, 'lucid', 'alice');
      expect(
        h.forge.verifyWebhook({
          headers: good.headers,
          rawBody: Buffer.from(good.body),
          secret: h.webhookSecret,
        }),
      ).toBe(true);
      const forged = h.labelled(repo, issue, 'lucid', 'alice', 'not-the-secret');
      expect(
        h.forge.verifyWebhook({
          headers: forged.headers,
          rawBody: Buffer.from(forged.body),
          secret: h.webhookSecret,
        }),
      ).toBe(false);
      const unsigned = Object.fromEntries(
        Object.entries(good.headers).filter(([k]) => !/signature|token/i.test(k)),
      );
      expect(
        h.forge.verifyWebhook({
          headers: unsigned,
          rawBody: Buffer.from(good.body),
          secret: h.webhookSecret,
        }),
      ).toBe(false);
      if (h.provider === 'github') {
        // The signature covers the body: a changed body fails.
        expect(
          h.forge.verifyWebhook({
            headers: good.headers,
            rawBody: Buffer.from(`${good.body} `),
            secret: h.webhookSecret,
          }),
        ).toBe(false);
      }
    });

    it('reads an issue labelled lucid and a comment mentioning @lucid; ignores the rest', async () => {
      const issue = h.createIssue(repo, 'Add a changelog');
      const read = (delivery: Delivery) =>
        h.forge.parseWebhook({ headers: delivery.headers, payload: JSON.parse(delivery.body) });
      const labelled = h.labelled(repo, issue, 'lucid', 'alice');
      expect(read(labelled)).toMatchObject({
        kind: 'issue_request',
        repoFullName: repo,
        issue,
        title: 'Add a changelog',
        comment: null,
        sender: 'alice',
        requester: { login: 'alice', association: null },
      });
      expect(read(labelled).deliveryId).not.toBe('');
      const { id: aliceId } = await h.forge.account(alice.token);
      expect(read(labelled)).toMatchObject({ requester: { id: aliceId } });
      expect(read(h.labelled(repo, issue, 'bug', 'alice'))).toMatchObject({ kind: 'ignored' });
      expect(read(h.commented(repo, issue, '@lucid please also add dates', 'alice'))).toMatchObject(
        {
          kind: 'issue_request',
          issue,
          comment: '@lucid please also add dates',
          sender: 'alice',
          requester: {
            login: 'alice',
            id: aliceId,
            association: h.provider === 'github' ? 'OWNER' : null,
          },
        },
      );
      expect(read(h.commented(repo, issue, 'no mention of @lucidity here', 'alice'))).toMatchObject(
        {
          kind: 'ignored',
        },
      );
      expect(read(h.other(repo))).toMatchObject({ kind: 'ignored' });
    });

    if (name.includes('GitLab')) {
      it('refreshes an expired OAuth token', async () => {
        const { verifier, challenge } = pkce();
        const { code } = await consent('alice', challenge);
        const tokens = await h.forge.exchangeCode({
          app: h.app,
          code,
          codeVerifier: verifier,
          redirectUri: REDIRECT,
        });
        expect(tokens.refreshToken).not.toBeNull();
        expect(tokens.expiresAt).toBeInstanceOf(Date);
        h.expire!(tokens.accessToken);
        await expectForgeError(h.forge.account(tokens.accessToken), 'unauthorized');
        const fresh = await h.forge.refresh({ app: h.app, refreshToken: tokens.refreshToken! });
        expect(fresh).not.toBeNull();
        expect(fresh!.accessToken).not.toBe(tokens.accessToken);
        expect((await h.forge.account(fresh!.accessToken)).login).toBe('alice');
        // A refresh token is good once.
        await expectForgeError(
          h.forge.refresh({ app: h.app, refreshToken: tokens.refreshToken! }),
          'invalid',
        );
      });
    } else {
      it('has no refresh for tokens that do not expire', async () => {
        const { verifier, challenge } = pkce();
        const { code } = await consent('alice', challenge);
        const tokens = await h.forge.exchangeCode({
          app: h.app,
          code,
          codeVerifier: verifier,
          redirectUri: REDIRECT,
        });
        expect(tokens).toMatchObject({ refreshToken: null, expiresAt: null });
      });
    }
  });
}
