/**
 * @module cli/eval-run
 * What `lucid eval run` does besides calling the API: a suite's folder repositories made into git
 * commits (the same content gives the same commit) and pushed into Lucid, reused when there, and
 * an eval's results printed as a table and a summary.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Repo, RepoList, type Eval, type EvalDetail } from '@lucid/contracts';
import type { ApiClient } from './api-client.ts';
import { CliError } from './cli-error.ts';
import { git, gitOutput, pushFailure } from './git.ts';
import type { LoadedSuite } from './suite-file.ts';
import { formatTable } from './table.ts';

/** A case's repository in Lucid and the commit it starts from. */
export interface PlacedRepository {
  repoId: string;
  commit?: string | undefined;
}

/** A fixed author and date: a folder's commit depends on its content alone, so it is pushed once. */
const FIXED = 'Lucid eval <eval@lucid.invalid>';
const FIXED_DATE = '2000-01-01T00:00:00Z';

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'suite'
  );
}

/**
 * Puts each case's repository in Lucid: a folder of the suite becomes the repository
 * `eval-<suite>-<folder>` (created and pushed the first time; later its commit is pushed beside
 * the branch as the tag `eval/<commit>`), a name is looked up among the caller's repositories.
 */
export async function placeRepositories(
  api: ApiClient,
  token: string,
  suite: LoadedSuite,
  say: (line: string) => void,
): Promise<Map<string, PlacedRepository>> {
  const { repos } = await api.get('/repos', RepoList);
  const placed = new Map<string, PlacedRepository>();
  const folders = new Map<string, PlacedRepository>();
  for (const testCase of suite.cases) {
    if ('name' in testCase.repository) {
      const name = testCase.repository.name;
      const repo = repos.find((candidate) => candidate.name === name);
      if (!repo) {
        throw new CliError(
          `Case ${testCase.id}: its repository ${name} is neither a folder of the suite nor a repository in Lucid.`,
          2,
        );
      }
      placed.set(testCase.id, { repoId: repo.id, commit: testCase.commit });
      continue;
    }
    const folder = testCase.repository.folder;
    let known = folders.get(folder);
    if (!known) {
      const name = `eval-${slug(suite.name)}-${slug(path.basename(folder))}`;
      known = await pushFolder(api, token, { folder, name, existing: repos }, say);
      folders.set(folder, known);
    }
    placed.set(testCase.id, { repoId: known.repoId, commit: testCase.commit ?? known.commit });
  }
  return placed;
}

async function pushFolder(
  api: ApiClient,
  token: string,
  { folder, name, existing }: { folder: string; name: string; existing: Repo[] },
  say: (line: string) => void,
): Promise<PlacedRepository> {
  const work = await mkdtemp(path.join(tmpdir(), 'lucid-eval-'));
  try {
    await cp(folder, work, { recursive: true });
    Object.assign(process.env, {
      GIT_AUTHOR_DATE: FIXED_DATE,
      GIT_COMMITTER_DATE: FIXED_DATE,
    });
    const [who, email] = [FIXED.split(' <')[0] ?? '', FIXED.slice(FIXED.indexOf('<') + 1, -1)];
    const identity = ['-c', `user.name=${who}`, '-c', `user.email=${email}`];
    await gitOutput(['init', '--quiet', '--initial-branch=main'], { cwd: work });
    await gitOutput(['add', '-A'], { cwd: work });
    await gitOutput([...identity, 'commit', '--quiet', '--no-gpg-sign', '-m', name], {
      cwd: work,
    });
    const commit = (await gitOutput(['rev-parse', 'HEAD'], { cwd: work })).trim();
    let repo = existing.find((candidate) => candidate.name === name);
    const refspec = repo
      ? `${commit}:refs/tags/eval/${commit.slice(0, 12)}`
      : 'HEAD:refs/heads/main';
    if (!repo) {
      repo = await api.post('/repos/ingest', { name, defaultBranch: 'main' }, Repo);
      say(`Created repository ${name} (${repo.id}).`);
    }
    const push = await git(['push', '--porcelain', repo.cloneUrl, refspec], {
      cwd: work,
      auth: { url: repo.cloneUrl, token },
    });
    if (push.code !== 0) {
      throw new CliError(`Pushing ${folder} to ${name} failed: ${pushFailure(push)}`);
    }
    return { repoId: repo.id, commit };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function seconds(ms: number | null): string {
  return ms === null ? '-' : `${(ms / 1000).toFixed(1)}s`;
}

function dollars(usd: number | null): string {
  return usd === null ? '-' : `$${usd.toFixed(4)}`;
}

function percent(rate: number | null): string {
  return rate === null ? '-' : `${Math.round(rate * 100)}%`;
}

/** An eval's results, one row per case attempt. */
export function resultsTable(detail: EvalDetail): string {
  return formatTable(
    ['CASE', 'ATTEMPT', 'RESULT', 'TIME', 'STEPS', 'TOKENS', 'COST', 'DIFF'],
    detail.results.map((result) => [
      result.caseId,
      String(result.attempt),
      result.status,
      seconds(result.durationMs),
      result.steps === null ? '-' : String(result.steps),
      result.inputTokens === null
        ? '-'
        : String((result.inputTokens ?? 0) + (result.outputTokens ?? 0)),
      dollars(result.costUsd),
      result.diff ? `+${result.diff.insertions} -${result.diff.deletions}` : '-',
    ]),
  );
}

/** An eval's summary: success rate, median time, dollars per task and per success. */
export function summaryLines(run: Eval): string {
  const { summary } = run;
  return [
    `${run.suite} with ${run.agent} on ${run.model}: ${summary.passed} of ${summary.finished} passed (${percent(summary.successRate)})`,
    `median time ${seconds(summary.medianMs)}, ${dollars(summary.costUsd)} in all, ${dollars(summary.usdPerTask)} per task, ${dollars(summary.usdPerSuccess)} per success`,
  ].join('\n');
}

/** Evals side by side, one row each. */
export function evalsTable(evals: Eval[]): string {
  return formatTable(
    ['ID', 'SUITE', 'AGENT', 'MODEL', 'STATUS', 'SUCCESS', 'MEDIAN', '$/TASK', '$/SUCCESS'],
    evals.map((run) => [
      run.id,
      run.suite,
      run.agent,
      run.model,
      run.status,
      `${percent(run.summary.successRate)} (${run.summary.passed}/${run.summary.finished})`,
      seconds(run.summary.medianMs),
      dollars(run.summary.usdPerTask),
      dollars(run.summary.usdPerSuccess),
    ]),
  );
}
