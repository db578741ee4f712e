/**
 * @module features/usage/components/usage-page
 * What a workspace spends: cost and tokens per day over a date range, the pipeline's success
 * metrics, a table grouped by user, model or task with how runs ended, and the same as a CSV file.
 */
import { useState } from 'react';
import type { UsageGroupBy } from '@lucid/contracts';
import { buttonClass } from '../../../components/ui/button.tsx';
import { Card } from '../../../components/ui/card.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { InputField } from '../../../components/ui/input.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { PageHeader } from '../../../components/ui/page-header.tsx';
import { dayFromToday } from '../../../lib/date-range.ts';
import { formatCost, formatTokens } from '../../../lib/format.ts';
import { useMe } from '../../../lib/use-me.ts';
import { useTitle } from '../../../lib/use-title.ts';
import { usageUrl, useUsage } from '../api/usage.ts';
import { PipelinePanel } from './pipeline-panel.tsx';
import { UsageChart } from './usage-chart.tsx';

const GROUPINGS: Array<{ value: Exclude<UsageGroupBy, 'day'>; label: string }> = [
  { value: 'user', label: 'User' },
  { value: 'model', label: 'Model' },
  { value: 'task', label: 'Task' },
];

const selectClass =
  'mt-1.5 block rounded-md border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30';

export function UsagePage() {
  useTitle('Usage');
  const me = useMe();
  const [workspaceId, setWorkspaceId] = useState<string | undefined>();
  const [from, setFrom] = useState(dayFromToday(-29));
  const [to, setTo] = useState(dayFromToday());
  const [groupBy, setGroupBy] = useState<Exclude<UsageGroupBy, 'day'>>('user');
  const range = { workspaceId, from, to };
  const days = useUsage({ ...range, groupBy: 'day' });
  const groups = useUsage({ ...range, groupBy });
  const workspaces = me.data?.workspaces ?? [];
  const totals = days.data?.totals;

  return (
    <>
      <PageHeader
        title="Usage"
        description="What the agents spent on models, and how their runs ended."
        actions={
          <a
            href={usageUrl({ ...range, groupBy }, true)}
            download
            className={buttonClass('secondary')}
          >
            Download CSV
          </a>
        }
      />
      <div className="mb-6 flex flex-wrap items-end gap-4">
        {workspaces.length > 1 && (
          <div>
            <label htmlFor="usage-workspace" className="block text-sm font-medium text-slate-700">
              Workspace
            </label>
            <select
              id="usage-workspace"
              className={selectClass}
              value={workspaceId ?? ''}
              onChange={(e) => setWorkspaceId(e.target.value || undefined)}
            >
              {workspaces.map((w) => (
                <option key={w.id} value={w.personal ? '' : w.id}>
                  {w.name}
                </option>
              ))}
            </select>
          </div>
        )}
        <InputField
          label="From"
          type="date"
          value={from}
          max={to}
          onChange={(e) => setFrom(e.target.value)}
        />
        <InputField
          label="To"
          type="date"
          value={to}
          min={from}
          onChange={(e) => setTo(e.target.value)}
        />
      </div>
      {days.error && <ErrorMessage title="Could not read the usage" error={days.error} />}
      {totals && (
        <dl className="mb-6 grid grid-cols-2 gap-4 sm:grid-cols-4">
          {[
            ['Cost', formatCost(totals.costUsd)],
            ['Input tokens', formatTokens(totals.inputTokens)],
            ['Output tokens', formatTokens(totals.outputTokens)],
            ['Runs', String(totals.runs)],
          ].map(([label, value]) => (
            <div key={label} className="rounded-lg border border-slate-200 bg-white p-4">
              <dt className="text-sm text-slate-600">{label}</dt>
              <dd className="mt-1 text-xl font-semibold text-slate-900">{value}</dd>
            </div>
          ))}
        </dl>
      )}
      <Card title="Per day" description="Cost (bars) and tokens (lines).">
        {days.data ? (
          <UsageChart days={days.data.groups} />
        ) : (
          <Loading label="Loading the usage…" />
        )}
      </Card>
      {days.data && (
        <div className="mt-6">
          <PipelinePanel pipeline={days.data.pipeline} />
        </div>
      )}
      <div className="mt-6">
        <Card
          title="Breakdown"
          description="Runs counted are those created in the range; their outcomes as they stand now."
        >
          <div className="mb-4">
            <label htmlFor="usage-group" className="block text-sm font-medium text-slate-700">
              Group by
            </label>
            <select
              id="usage-group"
              className={selectClass}
              value={groupBy}
              onChange={(e) => setGroupBy(e.target.value as Exclude<UsageGroupBy, 'day'>)}
            >
              {GROUPINGS.map((g) => (
                <option key={g.value} value={g.value}>
                  {g.label}
                </option>
              ))}
            </select>
          </div>
          {groups.error && <ErrorMessage title="Could not read the usage" error={groups.error} />}
          {groups.data &&
            (groups.data.groups.length === 0 ? (
              <p className="text-sm text-slate-600">Nothing was used in this range.</p>
            ) : (
              <div className="overflow-x-auto">
                <table className="w-full text-left text-sm">
                  <thead className="border-b border-slate-200 text-slate-600">
                    <tr>
                      <th className="py-2 pr-4 font-medium">
                        {GROUPINGS.find((g) => g.value === groupBy)?.label}
                      </th>
                      <th className="py-2 pr-4 text-right font-medium">Cost</th>
                      <th className="py-2 pr-4 text-right font-medium">Input</th>
                      <th className="py-2 pr-4 text-right font-medium">Cached</th>
                      <th className="py-2 pr-4 text-right font-medium">Output</th>
                      <th className="py-2 pr-4 text-right font-medium">Runs</th>
                      <th className="py-2 pr-4 text-right font-medium">Succeeded</th>
                      <th className="py-2 pr-4 text-right font-medium">Failed</th>
                      <th className="py-2 text-right font-medium">Cancelled</th>
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-slate-100">
                    {groups.data.groups.map((g) => (
                      <tr key={g.key}>
                        <td className="py-2 pr-4 text-slate-900">{g.label}</td>
                        <td className="py-2 pr-4 text-right">{formatCost(g.costUsd)}</td>
                        <td className="py-2 pr-4 text-right">{formatTokens(g.inputTokens)}</td>
                        <td className="py-2 pr-4 text-right">
                          {formatTokens(g.cachedInputTokens)}
                        </td>
                        <td className="py-2 pr-4 text-right">{formatTokens(g.outputTokens)}</td>
                        <td className="py-2 pr-4 text-right">{g.runs}</td>
                        <td className="py-2 pr-4 text-right">{g.outcomes.succeeded}</td>
                        <td className="py-2 pr-4 text-right">{g.outcomes.failed}</td>
                        <td className="py-2 text-right">{g.outcomes.cancelled}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ))}
        </Card>
      </div>
    </>
  );
}
