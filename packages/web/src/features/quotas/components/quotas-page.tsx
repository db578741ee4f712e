/**
 * @module features/quotas/components/quotas-page
 * The workspace's quotas: tasks a day, runs at once and the monthly model budget, each with what
 * was used of it and whether it is the server's default. The owner can set the workspace's own
 * (0: no limit; empty: the server's default); others read them.
 */
import { useState, type FormEvent } from 'react';
import type { QuotaValue, WorkspaceQuotas } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { Card } from '../../../components/ui/card.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { InputField } from '../../../components/ui/input.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { PageHeader } from '../../../components/ui/page-header.tsx';
import { useActiveWorkspace } from '../../../lib/active-workspace.ts';
import { useMe } from '../../../lib/use-me.ts';
import { useTitle } from '../../../lib/use-title.ts';
import { useQuotas, useUpdateQuotas } from '../api/quotas.ts';

type QuotaName = 'tasksPerDay' | 'concurrentRuns' | 'monthlyBudgetUsd';

const ROWS: Array<{ name: QuotaName; label: string; money?: boolean }> = [
  { name: 'tasksPerDay', label: 'Tasks a day (UTC)' },
  { name: 'concurrentRuns', label: 'Runs at once' },
  { name: 'monthlyBudgetUsd', label: 'Monthly model budget (USD)', money: true },
];

const shown = (value: number, money = false) =>
  value === 0 ? 'no limit' : money ? `$${value.toFixed(2)}` : String(value);

function describe(quota: QuotaValue & { used: number }, money = false): string {
  const used = money ? `$${quota.used.toFixed(2)}` : String(quota.used);
  const limit = shown(quota.limit, money);
  const source = quota.overridden ? '' : ' (server default)';
  return `${used} used of ${limit}${source}`;
}

function QuotaForm({ workspaceId, quotas }: { workspaceId: string; quotas: WorkspaceQuotas }) {
  const update = useUpdateQuotas(workspaceId);
  const own = (name: QuotaName) => (quotas[name].overridden ? String(quotas[name].limit) : '');
  const [values, setValues] = useState<Record<QuotaName, string>>({
    tasksPerDay: own('tasksPerDay'),
    concurrentRuns: own('concurrentRuns'),
    monthlyBudgetUsd: own('monthlyBudgetUsd'),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const parse = (text: string) => (text.trim() === '' ? null : Number(text));
    update.mutate({
      tasksPerDay: parse(values.tasksPerDay),
      concurrentRuns: parse(values.concurrentRuns),
      monthlyBudgetUsd: parse(values.monthlyBudgetUsd),
    });
  };
  return (
    <form onSubmit={submit} className="space-y-4">
      {ROWS.map(({ name, label, money }) => (
        <InputField
          key={name}
          label={label}
          type="number"
          min={0}
          step={money ? '0.01' : '1'}
          placeholder={`Server default: ${shown(quotas[name].default, money)}`}
          hint={describe(quotas[name], money)}
          value={values[name]}
          onChange={(event) => setValues({ ...values, [name]: event.target.value })}
        />
      ))}
      {update.error && <ErrorMessage title="Could not save the quotas" error={update.error} />}
      <Button type="submit" pending={update.isPending}>
        Save quotas
      </Button>
    </form>
  );
}

export function QuotasPage() {
  useTitle('Quotas');
  const me = useMe();
  const { workspace } = useActiveWorkspace();
  const quotas = useQuotas(workspace?.id ?? '');

  if (me.isPending || (workspace && quotas.isPending)) return <Loading label="Loading quotas…" />;
  const error = me.error ?? quotas.error;
  if (error) return <ErrorMessage title="Could not load the quotas" error={error} />;
  if (!workspace || !quotas.data) return null;
  return (
    <div className="space-y-6">
      <PageHeader
        title="Quotas"
        description={`What ${workspace.name} may do: tasks created a day, runs at once and what its model calls may cost a month. 0 is no limit; an empty field takes the server's default.`}
      />
      <Card>
        {quotas.data.editable ? (
          <QuotaForm workspaceId={workspace.id} quotas={quotas.data} />
        ) : (
          <dl className="space-y-3 text-sm">
            {ROWS.map(({ name, label, money }) => (
              <div key={name}>
                <dt className="font-medium text-slate-700">{label}</dt>
                <dd className="text-slate-600">{describe(quotas.data[name], money)}</dd>
              </div>
            ))}
          </dl>
        )}
      </Card>
    </div>
  );
}
