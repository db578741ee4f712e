/**
 * @module features/repos/components/repo-card
 * One repository in the list: its name, default branch, last push, branches, clone URL, how to
 * push, and a way to start a task on it.
 */
import { Link } from 'wouter';
import type { Repo } from '@lucid/contracts';
import { buttonClass } from '../../../components/ui/button.tsx';
import { useBranches } from '../../../lib/queries/repo-history.ts';
import { CodeBlock } from '../../../components/ui/code-block.tsx';
import { Time } from '../../../components/ui/time.tsx';
import { PushInstructions } from './push-instructions.tsx';

const SHOWN_BRANCHES = 6;

function Branches({ repo }: { repo: Repo }) {
  const branches = useBranches(repo.id);
  if (!branches.data || branches.data.length === 0) return null;
  const shown = branches.data.slice(0, SHOWN_BRANCHES);
  const more = branches.data.length - shown.length;
  return (
    <div className="mt-3 flex items-baseline gap-3">
      <span className="w-20 shrink-0 text-xs font-medium text-slate-500 uppercase">Branches</span>
      <ul aria-label={`Branches of ${repo.name}`} className="flex min-w-0 flex-wrap gap-1.5">
        {shown.map((branch) => (
          <li
            key={branch.name}
            className="rounded bg-slate-100 px-1.5 font-mono text-xs leading-5 text-slate-800"
          >
            {branch.name}
          </li>
        ))}
        {more > 0 && (
          <li className="text-xs leading-5 text-slate-500">
            <Link href={`/repos/${repo.id}`} className="underline">
              {more} more
            </Link>
          </li>
        )}
      </ul>
    </div>
  );
}

export function RepoCard({ repo }: { repo: Repo }) {
  return (
    <li className="rounded-lg bg-white shadow-sm ring-1 ring-slate-200">
      <article aria-labelledby={`repo-${repo.id}`} className="px-5 py-4">
        <div className="flex flex-wrap items-baseline justify-between gap-x-6 gap-y-1">
          <h2 id={`repo-${repo.id}`} className="text-base font-semibold">
            <Link
              href={`/repos/${repo.id}`}
              className="rounded-sm text-indigo-700 hover:text-indigo-500 hover:underline"
            >
              {repo.name}
            </Link>
          </h2>
          <dl className="flex gap-6 text-sm text-slate-600">
            <div className="flex gap-1.5">
              <dt>Default branch</dt>
              <dd className="rounded bg-slate-100 px-1.5 font-mono text-xs leading-5 text-slate-800">
                {repo.defaultBranch}
              </dd>
            </div>
            <div className="flex gap-1.5">
              <dt>Last push</dt>
              <dd className="font-medium text-slate-800">
                {repo.lastPushedAt ? <Time iso={repo.lastPushedAt} /> : 'never'}
              </dd>
            </div>
          </dl>
        </div>
        {repo.description && <p className="mt-1 text-sm text-slate-600">{repo.description}</p>}
        <Branches repo={repo} />
        <div className="mt-3 flex items-center gap-3">
          <span className="w-20 shrink-0 text-xs font-medium text-slate-500 uppercase">
            Clone URL
          </span>
          <div className="min-w-0 flex-1">
            <CodeBlock code={repo.cloneUrl} label={`Copy clone URL of ${repo.name}`} />
          </div>
        </div>
        <div className="mt-3 flex gap-2">
          {repo.lastPushedAt && (
            <Link href={`/tasks/new?repo=${repo.id}`} className={buttonClass('secondary', 'sm')}>
              New task
            </Link>
          )}
          <Link
            href={`/repos/${repo.id}/board`}
            className={buttonClass('secondary', 'sm')}
            aria-label={`Board of ${repo.name}`}
          >
            Board
          </Link>
        </div>
        <details open={!repo.lastPushedAt} className="group mt-3">
          <summary className="cursor-pointer rounded-sm text-sm font-medium text-slate-700 select-none hover:text-slate-900">
            Push a local repository
          </summary>
          <div className="mt-3">
            <PushInstructions repo={repo} />
          </div>
        </details>
      </article>
    </li>
  );
}
