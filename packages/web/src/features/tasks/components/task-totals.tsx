/**
 * @module features/tasks/components/task-totals
 * What the task's runs have taken so far, in the page's header: the time they worked (counting on
 * each second while one runs), the tokens of their model calls and what those cost, with what
 * reading input from the provider's cache saved, and by phase: planning, coding, titles, summaries.
 */
import { useEffect, useState } from 'react';
import type { TaskTotals } from '@lucid/contracts';
import { formatCost, formatDuration, formatTokens } from '../../../lib/format.ts';

/** Now, renewed every second while `ticking`. */
function useNow(ticking: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [ticking]);
  return now;
}

const PHASE_WORDS = { plan: 'plan', code: 'code', title: 'title', summary: 'summaries' } as const;

/** The cost of each phase that cost anything, when more than one did: "(plan $0.01, code $0.20)". */
function PhaseCosts({ costs }: { costs: TaskTotals['costByPhase'] }) {
  const spent = (Object.keys(PHASE_WORDS) as (keyof typeof PHASE_WORDS)[]).filter(
    (phase) => (costs[phase] ?? 0) > 0,
  );
  if (spent.length < 2) return null;
  return (
    <span aria-label="Cost by phase" className="text-slate-500">
      {' ('}
      {spent.map((phase) => `${PHASE_WORDS[phase]} ${formatCost(costs[phase] ?? 0)}`).join(', ')}
      {')'}
    </span>
  );
}

export function TaskTotalsLine({ totals }: { totals: TaskTotals }) {
  const now = useNow(totals.runningSince !== null);
  const running = totals.runningSince ? Math.max(0, now - Date.parse(totals.runningSince)) : 0;
  const tokens = totals.inputTokens + totals.outputTokens;
  return (
    <dl aria-label="Usage" className="flex gap-3 text-xs text-slate-600">
      <div className="flex gap-1">
        <dt className="text-slate-400">Elapsed</dt>
        <dd>{formatDuration(totals.elapsedMs + running)}</dd>
      </div>
      <div
        className="flex gap-1"
        title={`${totals.inputTokens} in (${totals.cachedInputTokens} cached), ${totals.outputTokens} out`}
      >
        <dt className="text-slate-400">Tokens</dt>
        <dd>{formatTokens(tokens)}</dd>
      </div>
      <div className="flex gap-1">
        <dt className="text-slate-400">Cost</dt>
        <dd>
          <span>{formatCost(totals.costUsd)}</span>
          <PhaseCosts costs={totals.costByPhase} />
          {totals.cacheSavingsUsd > 0 && (
            <span className="text-emerald-700">
              , {formatCost(totals.cacheSavingsUsd)} saved by the cache
            </span>
          )}
        </dd>
      </div>
    </dl>
  );
}
