/**
 * @module features/board/components/commit-graph
 * The repository's commits across branches as a small graph drawn by hand in SVG: one lane per
 * line of work, a dot per commit, edges to parents, branch names beside their tips; a branch
 * selector narrows it to one branch's history.
 */
import { useMemo, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import type { CommitList } from '@lucid/contracts';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { api } from '../../../lib/api.ts';
import { shortSha } from '../../../lib/format.ts';
import { useBranches } from '../../../lib/queries/repo-history.ts';
import { layoutGraph } from '../graph-layout.ts';

const ROW = 26;
const LANE = 14;
const colours = ['#4f46e5', '#059669', '#d97706', '#dc2626', '#0891b2', '#7c3aed'];

function useGraphCommits(repoId: string, ref: string) {
  return useQuery({
    queryKey: ['repos', repoId, 'commits', 'graph', ref],
    queryFn: ({ signal }) =>
      api<CommitList>(
        `/api/v1/repos/${encodeURIComponent(repoId)}/commits?limit=60${
          ref ? `&ref=${encodeURIComponent(ref)}` : ''
        }`,
        { signal },
      ).then((r) => r.commits),
    refetchInterval: 10_000,
  });
}

export function CommitGraph({ repoId, highlight }: { repoId: string; highlight?: string }) {
  const [ref, setRef] = useState('');
  const branches = useBranches(repoId);
  const commits = useGraphCommits(repoId, ref);
  const layout = useMemo(() => layoutGraph(commits.data ?? []), [commits.data]);
  const tips = useMemo(() => {
    const map = new Map<string, string[]>();
    for (const branch of branches.data ?? []) {
      map.set(branch.sha, [...(map.get(branch.sha) ?? []), branch.name]);
    }
    return map;
  }, [branches.data]);

  const x = (lane: number) => LANE / 2 + lane * LANE + 2;
  const y = (row: number) => ROW / 2 + row * ROW;
  const rows = commits.data ?? [];
  const graphWidth = layout.width * LANE + 4;

  return (
    <div>
      <label className="mb-2 block text-sm font-medium text-slate-700">
        Branch
        <select
          className="mt-1 block w-64 rounded-md border-0 py-1.5 pr-8 pl-3 text-sm ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-indigo-600"
          value={ref}
          onChange={(event) => setRef(event.target.value)}
        >
          <option value="">All branches</option>
          {branches.data?.map((branch) => (
            <option key={branch.name} value={branch.name}>
              {branch.name}
            </option>
          ))}
        </select>
      </label>
      {commits.isPending ? (
        <Loading label="Loading commits…" />
      ) : commits.error ? (
        <ErrorMessage error={commits.error} onRetry={() => void commits.refetch()} />
      ) : rows.length === 0 ? (
        <p className="text-sm text-slate-500">No commits yet.</p>
      ) : (
        <div className="flex" role="figure" aria-label="Commit graph">
          <svg
            width={graphWidth}
            height={rows.length * ROW}
            aria-hidden="true"
            className="shrink-0"
          >
            {layout.edges.map((edge, i) => {
              const colour = colours[edge.toLane % colours.length];
              const endRow = Math.min(edge.toRow, rows.length);
              const bend = Math.min(edge.fromRow + 1, endRow);
              const path =
                `M ${x(edge.fromLane)} ${y(edge.fromRow)} ` +
                `L ${x(edge.toLane)} ${endRow === rows.length && bend === endRow ? y(endRow) - ROW / 2 : y(bend)} ` +
                `L ${x(edge.toLane)} ${endRow === rows.length ? y(endRow) - ROW / 2 : y(endRow)}`;
              return <path key={i} d={path} fill="none" stroke={colour} strokeWidth={2} />;
            })}
            {rows.map((commit, row) => {
              const lane = layout.lanes[row] ?? 0;
              return (
                <circle
                  key={commit.sha}
                  cx={x(lane)}
                  cy={y(row)}
                  r={commit.sha === highlight ? 5 : 4}
                  fill={colours[lane % colours.length]}
                  stroke="white"
                  strokeWidth={1.5}
                />
              );
            })}
          </svg>
          <ol className="min-w-0 flex-1 text-xs">
            {rows.map((commit) => (
              <li
                key={commit.sha}
                style={{ height: ROW }}
                className="flex items-center gap-2 truncate"
                title={`${commit.sha} by ${commit.author.name}`}
              >
                <span className="font-mono text-slate-500">{shortSha(commit.sha)}</span>
                {tips.get(commit.sha)?.map((name) => (
                  <span
                    key={name}
                    className="rounded bg-indigo-50 px-1.5 font-mono text-[11px] text-indigo-800 ring-1 ring-indigo-200"
                  >
                    {name}
                  </span>
                ))}
                <span className="truncate text-slate-800">{commit.subject}</span>
              </li>
            ))}
          </ol>
        </div>
      )}
    </div>
  );
}
