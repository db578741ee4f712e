/**
 * @module features/evals/components/evals-page
 * The evals of the user's workspaces, newest first, each with its figures; the ones ticked (the
 * two newest at first) are compared side by side: success rate, median time, $/task and
 * $/success per agent and model, in a table and a small bar chart each.
 */
import { useState } from 'react';
import { Link } from 'wouter';
import type { Eval } from '@lucid/contracts';
import { Card } from '../../../components/ui/card.tsx';
import { CodeBlock } from '../../../components/ui/code-block.tsx';
import { EmptyState } from '../../../components/ui/empty-state.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { PageHeader } from '../../../components/ui/page-header.tsx';
import { Time } from '../../../components/ui/time.tsx';
import { useTitle } from '../../../lib/use-title.ts';
import { useEvals } from '../api/evals.ts';
import { CompareChart, evalLabel, type Figure } from './compare-chart.tsx';
import { dollars, percent, seconds } from './figures.ts';

const FIGURES: Figure[] = [
  { title: 'Success rate', value: (run) => run.summary.successRate, format: percent },
  { title: 'Median time', value: (run) => run.summary.medianMs, format: seconds },
  { title: '$ per task', value: (run) => run.summary.usdPerTask, format: dollars },
  { title: '$ per success', value: (run) => run.summary.usdPerSuccess, format: dollars },
];

const statusTones: Record<Eval['status'], string> = {
  running: 'bg-sky-50 text-sky-800',
  done: 'bg-emerald-50 text-emerald-800',
  cancelled: 'bg-slate-100 text-slate-600',
};

export function EvalsPage() {
  useTitle('Evals');
  const evals = useEvals();
  const [picked, setPicked] = useState<string[] | null>(null);
  if (evals.isPending) return <Loading label="Loading evals…" />;
  if (evals.isError) return <ErrorMessage error={evals.error} onRetry={() => evals.refetch()} />;
  const list = evals.data.evals;
  const chosen = picked ?? list.slice(0, 2).map((run) => run.id);
  const compared = list.filter((run) => chosen.includes(run.id));
  const toggle = (id: string) =>
    setPicked(chosen.includes(id) ? chosen.filter((c) => c !== id) : [...chosen, id]);

  return (
    <>
      <PageHeader
        title="Evals"
        description="Suites of cases run by an agent and model, each case checked by a command: compare how they did."
      />
      {list.length === 0 ? (
        <EmptyState title="No evals yet">
          <p className="mb-3">Run a suite with the command line; its results show here.</p>
          <CodeBlock
            code="lucid eval run evals/example --model anthropic/claude-sonnet-4-5"
            label="the command"
            prompt
          />
        </EmptyState>
      ) : (
        <>
          <Card title="Evals" className="mb-6">
            <table className="w-full text-sm">
              <thead className="text-left text-xs text-slate-500">
                <tr>
                  <th className="px-5 py-2 font-medium">Compare</th>
                  <th className="px-2 py-2 font-medium">Suite</th>
                  <th className="px-2 py-2 font-medium">Agent · model</th>
                  <th className="px-2 py-2 font-medium">Status</th>
                  <th className="px-2 py-2 font-medium">Passed</th>
                  <th className="px-2 py-2 font-medium">Started</th>
                </tr>
              </thead>
              <tbody>
                {list.map((run) => (
                  <tr key={run.id} className="border-t border-slate-100">
                    <td className="px-5 py-2">
                      <input
                        type="checkbox"
                        aria-label={`Compare ${evalLabel(run)} on ${run.suite}`}
                        checked={chosen.includes(run.id)}
                        onChange={() => toggle(run.id)}
                      />
                    </td>
                    <td className="px-2 py-2">
                      <Link href={`/evals/${run.id}`} className="text-indigo-700 hover:underline">
                        {run.suite}
                      </Link>
                    </td>
                    <td className="px-2 py-2">{evalLabel(run)}</td>
                    <td className="px-2 py-2">
                      <span
                        className={`rounded-full px-2 py-0.5 text-xs font-medium ${statusTones[run.status]}`}
                      >
                        {run.status}
                      </span>
                    </td>
                    <td className="px-2 py-2">
                      {run.summary.passed} of {run.summary.finished}
                    </td>
                    <td className="px-2 py-2">
                      <Time iso={run.createdAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
          {compared.length > 0 && (
            <Card title="Side by side" label="Side by side">
              <table className="w-full text-sm" aria-label="Comparison">
                <thead className="text-left text-xs text-slate-500">
                  <tr>
                    <th className="px-5 py-2 font-medium">Agent · model</th>
                    {FIGURES.map((figure) => (
                      <th key={figure.title} className="px-2 py-2 font-medium">
                        {figure.title}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {compared.map((run) => (
                    <tr key={run.id} className="border-t border-slate-100">
                      <th scope="row" className="px-5 py-2 text-left font-medium">
                        {evalLabel(run)}
                      </th>
                      {FIGURES.map((figure) => (
                        <td key={figure.title} className="px-2 py-2">
                          {figure.format(figure.value(run))}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
              <div className="grid gap-3 p-5 md:grid-cols-2">
                {FIGURES.map((figure) => (
                  <CompareChart key={figure.title} figure={figure} evals={compared} />
                ))}
              </div>
            </Card>
          )}
        </>
      )}
    </>
  );
}
