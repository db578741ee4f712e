/**
 * @module features/repos/components/commit-list
 * Recent commits: subject, author, date, short id and the branch each is on; the work of a branch
 * not merged into the default branch yet is marked so.
 */
import type { Commit } from '@lucid/contracts';
import { Time } from '../../../components/ui/time.tsx';
import { shortSha } from '../../../lib/format.ts';

function BranchLabel({ commit }: { commit: Commit }) {
  if (!commit.branch) return null;
  if (commit.onDefaultBranch) {
    return (
      <span className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-slate-600">
        {commit.branch}
      </span>
    );
  }
  return (
    <span
      className="rounded bg-amber-50 px-1.5 py-0.5 text-amber-900 ring-1 ring-amber-200"
      title={`On ${commit.branch}, not merged into the default branch yet`}
    >
      unmerged · <span className="font-mono">{commit.branch}</span>
    </span>
  );
}

export function CommitList({ commits }: { commits: Commit[] }) {
  return (
    <ol aria-label="Recent commits" className="divide-y divide-slate-100">
      {commits.map((commit) => (
        <li key={commit.sha} className="flex items-start justify-between gap-4 py-2.5">
          <div className="min-w-0">
            <p className="truncate text-sm font-medium text-slate-900" title={commit.subject}>
              {commit.subject || '(no message)'}
            </p>
            <p className="mt-0.5 flex flex-wrap items-center gap-x-1.5 gap-y-1 text-xs text-slate-500">
              <span>
                <span title={commit.author.email}>{commit.author.name}</span> committed{' '}
                <Time iso={commit.date} />
              </span>
              <BranchLabel commit={commit} />
            </p>
          </div>
          <code
            className="shrink-0 rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700"
            title={commit.sha}
          >
            {shortSha(commit.sha)}
          </code>
        </li>
      ))}
    </ol>
  );
}
