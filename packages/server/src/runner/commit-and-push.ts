/**
 * @module runner/commit-and-push
 * After the agent stops, makes sure its work is committed (what it left uncommitted goes into one
 * last commit, its message taken from the agent's summary) and pushes the task's branch to Lucid's
 * git server with the run token the workspace holds. Reports each new commit and the push. What
 * git's excludes ignore (Lucid's global excludes file, sandbox/git-excludes.ts, and the
 * repository's own) is never added; a branch with no commit beyond its base is not pushed.
 */
import type { EventBody } from '@lucid/contracts';
import type { Sandbox } from '../sandbox/driver.ts';
import { RunTrace } from './run-trace.ts';

const WORKSPACE = '/workspace';

async function git(
  sandbox: Sandbox,
  args: string[],
  stdin?: string,
  signal?: AbortSignal,
): Promise<string> {
  const result = await sandbox.exec(['git', ...args], {
    cwd: WORKSPACE,
    ...(stdin === undefined ? {} : { stdin }),
    ...(signal ? { signal } : {}),
  });
  if (result.exitCode !== 0) {
    throw new Error(
      `git ${args[0]} failed in the sandbox: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
  return result.stdout.trim();
}

/** How many times a push cut off on its way (its server went away) is made in all. */
const PUSH_ATTEMPTS = 3;

/**
 * What git says when a push never got its answer (the connection refused, cut or answered with a
 * gateway's error): the server behind Lucid's address went away, and another may take it.
 * A refusal (a hook, a rule, a stale ref) says otherwise and is final.
 */
const CUT_OFF =
  /Empty reply from server|unable to access|remote end hung up unexpectedly|RPC failed|Could not connect|Connection refused|Recv failure|returned error: 50[234]/;

/**
 * Pushes `head` to the task's branch. A push that fails is looked at again: if the branch holds
 * `head` the push did land, its answer lost (its server died; or the connection was cut and the
 * request sent again, which then found the branch made); if it was cut off on its way, it is made
 * again.
 */
async function push(
  sandbox: Sandbox,
  branch: string,
  head: string,
  signal?: AbortSignal,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await git(
        sandbox,
        ['push', '--quiet', 'origin', `${head}:refs/heads/${branch}`],
        undefined,
        signal,
      );
      return;
    } catch (error) {
      if (signal?.aborted) throw error;
      const remote = await sandbox.exec(['git', 'ls-remote', 'origin', `refs/heads/${branch}`], {
        cwd: WORKSPACE,
        ...(signal ? { signal } : {}),
      });
      if (remote.exitCode === 0 && remote.stdout.split('\t')[0] === head) return;
      if (attempt >= PUSH_ATTEMPTS || !CUT_OFF.test((error as Error).message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
}

/** The commit HEAD points at; null on an unborn branch. */
export async function headCommit(sandbox: Sandbox): Promise<string | null> {
  const result = await sandbox.exec(['git', 'rev-parse', '--verify', '--quiet', 'HEAD'], {
    cwd: WORKSPACE,
  });
  return result.exitCode === 0 ? result.stdout.trim() : null;
}

/** A commit message from the agent's summary: its first line as subject, the rest as body. */
export function commitMessage(summary: string | undefined, prompt: string): string {
  const text = summary?.trim() || `Work on: ${prompt.trim()}`;
  const [first = '', ...rest] = text.split('\n');
  const subject = first.length > 72 ? `${first.slice(0, 69)}...` : first;
  const body = [first.length > 72 ? first : '', ...rest].join('\n').trim();
  return body ? `${subject}\n\n${body}\n` : `${subject}\n`;
}

/** What {@link commitAndPush} did: its events, and whether the branch holds work to review. */
export interface CommitAndPushResult {
  events: EventBody[];
  /**
   * False when the branch has no commit beyond the base branch: nothing was pushed and there is
   * nothing to review.
   */
  changes: boolean;
}

/**
 * Commits what is left, pushes the branch when it has anything new, and answers the events saying
 * so. A branch with no commit beyond `baseBranch` (as the workspace's clone knows it) is not
 * pushed: the run changed nothing. `before` is HEAD when the agent started; aborting `signal`
 * kills the commit or push.
 */
export async function commitAndPush(
  sandbox: Sandbox,
  {
    branch,
    baseBranch,
    before,
    message,
    signal,
    trace = RunTrace.none,
  }: {
    branch: string;
    baseBranch: string;
    before: string | null;
    message: string;
    signal?: AbortSignal | undefined;
    /** The run's spans: `git.commit` and `git.push` go there. */
    trace?: RunTrace | undefined;
  },
): Promise<CommitAndPushResult> {
  const events: EventBody[] = [];
  await trace.step('git.commit', {}, async (span) => {
    if (!(await git(sandbox, ['status', '--porcelain']))) return;
    await git(sandbox, ['add', '-A'], undefined, signal);
    if (await git(sandbox, ['diff', '--cached', '--name-only'])) {
      await git(sandbox, ['commit', '--quiet', '--no-verify', '-F', '-'], message, signal);
      span.setAttribute('lucid.git.committed', true);
    }
  });
  const head = await headCommit(sandbox);
  if (!head) return { events, changes: false };
  const base = await sandbox.exec(
    ['git', 'rev-parse', '--verify', '--quiet', `refs/remotes/origin/${baseBranch}`],
    { cwd: WORKSPACE },
  );
  const beyondBase = await git(sandbox, [
    'rev-list',
    '--count',
    'HEAD',
    ...(base.exitCode === 0 ? ['--not', base.stdout.trim()] : []),
  ]);
  if (beyondBase === '0') return { events, changes: false };
  const range = before ? [`${before}..HEAD`] : ['HEAD'];
  const log = await git(sandbox, ['log', '--reverse', '--format=%H%x09%s', ...range]);
  for (const line of log.split('\n').filter(Boolean)) {
    const [sha = '', ...subject] = line.split('\t');
    events.push({ type: 'git.commit', sha, subject: subject.join('\t') });
  }
  const remote = await sandbox.exec(
    ['git', 'rev-parse', '--verify', '--quiet', `refs/remotes/origin/${branch}`],
    { cwd: WORKSPACE },
  );
  if (remote.exitCode === 0 && remote.stdout.trim() === head) return { events, changes: true };
  await trace.step('git.push', { 'lucid.git.branch': branch }, () =>
    push(sandbox, branch, head, signal),
  );
  events.push({ type: 'git.push', branch, sha: head });
  return { events, changes: true };
}
