/**
 * Git between Lucid's bare repository and an upstream: a branch is pushed without force (a
 * non-fast-forward is told apart), the upstream's copy of a branch is fetched to a ref of its own,
 * and the credentials reach the remote as a header only, never in what git prints or stores.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  fetchBranch,
  PushRejectedError,
  pushBranch,
  UpstreamAuthError,
  UpstreamForbiddenError,
} from '../src/forges/upstream-git.ts';
import { gitOk, makeLocalRepo } from './support/git.ts';

async function bare(): Promise<string> {
  const dir = path.join(await mkdtemp(path.join(tmpdir(), 'lucid-upstream-git-')), 'repo.git');
  await gitOk(['init', '--quiet', '--bare', dir]);
  return dir;
}

async function commitOn(work: string, file: string, text: string): Promise<string> {
  await gitOk(['commit', '--quiet', '--allow-empty', '-m', `${file}: ${text}`], work);
  return (await gitOk(['rev-parse', 'HEAD'], work)).trim();
}

const remoteAt = (url: string) => ({ url, username: 'x-access-token', password: 'ghp_secret0123' });

describe('pushBranch', () => {
  it('pushes fast-forwards, says when the upstream already has it, and refuses to force', async () => {
    const lucid = await bare();
    const upstream = await bare();
    const work = await makeLocalRepo({ 'README.md': '# x\n' });
    await gitOk(['push', '--quiet', lucid, 'main:refs/heads/lucid/fix'], work);
    const first = (await gitOk(['rev-parse', 'HEAD'], work)).trim();

    const pushed = await pushBranch({
      repoPath: lucid,
      remote: remoteAt(upstream),
      branch: 'lucid/fix',
    });
    expect(pushed).toEqual({ sha: first, upToDate: false });
    expect((await gitOk(['rev-parse', 'refs/heads/lucid/fix'], upstream)).trim()).toBe(first);
    const again = await pushBranch({
      repoPath: lucid,
      remote: remoteAt(upstream),
      branch: 'lucid/fix',
    });
    expect(again).toEqual({ sha: first, upToDate: true });

    // Someone else's commit upstream, and another one in Lucid: no longer a fast-forward.
    const theirs = await makeLocalRepo({ 'OTHER.md': 'other\n' });
    await gitOk(['push', '--quiet', '--force', upstream, 'main:refs/heads/lucid/fix'], theirs);
    const second = await commitOn(work, 'b', 'two');
    await gitOk(['push', '--quiet', lucid, 'main:refs/heads/lucid/fix'], work);
    const rejected = await pushBranch({
      repoPath: lucid,
      remote: remoteAt(upstream),
      branch: 'lucid/fix',
    }).catch((error: unknown) => error);
    expect(rejected).toBeInstanceOf(PushRejectedError);
    expect((await gitOk(['rev-parse', 'refs/heads/lucid/fix'], upstream)).trim()).not.toBe(second);

    const copied = await fetchBranch({
      repoPath: lucid,
      remote: remoteAt(upstream),
      branch: 'lucid/fix',
      intoRef: 'refs/lucid/upstream/lucid/fix',
    });
    expect(copied).toBe((await gitOk(['rev-parse', 'refs/heads/lucid/fix'], upstream)).trim());
    expect((await gitOk(['rev-parse', 'refs/lucid/upstream/lucid/fix'], lucid)).trim()).toBe(
      copied,
    );
    expect(
      await fetchBranch({
        repoPath: lucid,
        remote: remoteAt(upstream),
        branch: 'lucid/none',
        intoRef: 'refs/lucid/upstream/lucid/none',
      }),
    ).toBeNull();
    expect(await readFile(path.join(lucid, 'config'), 'utf8')).not.toContain('ghp_secret0123');
  });

  it('sends the credentials as a header to the remote, and reports a refusal without them', async () => {
    const lucid = await bare();
    const work = await makeLocalRepo({ 'README.md': '# x\n' });
    await gitOk(['push', '--quiet', lucid, 'main:refs/heads/lucid/fix'], work);
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(401, { 'www-authenticate': 'Basic realm="forge"' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alice/app.git`;
    try {
      const failure = await pushBranch({
        repoPath: lucid,
        remote: remoteAt(url),
        branch: 'lucid/fix',
      }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(UpstreamAuthError);
      expect(String((failure as Error).message)).not.toContain('ghp_secret0123');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const basic = Buffer.from('x-access-token:ghp_secret0123').toString('base64');
    expect(seen.some((headers) => headers.authorization === `Basic ${basic}`)).toBe(true);
  });

  it('tells a repository the account may not push to from a refused token', async () => {
    const lucid = await bare();
    const work = await makeLocalRepo({ 'README.md': '# x\n' });
    await gitOk(['push', '--quiet', lucid, 'main:refs/heads/lucid/fix'], work);
    const server = createServer((_req, res) => res.writeHead(403).end('Forbidden'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alice/app.git`;
    try {
      const failure = await pushBranch({
        repoPath: lucid,
        remote: remoteAt(url),
        branch: 'lucid/fix',
      }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(UpstreamForbiddenError);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
