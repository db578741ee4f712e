/**
 * @module features/audit/components/audit-page
 * The audit trail: who did what, to what, and when, newest first, filtered by actor, action and
 * dates, a page at a time. Owners and admins choose one of their workspaces; otherwise it shows
 * your own actions and those in workspaces you administer.
 */
import { useState, type FormEvent } from 'react';
import { Button } from '../../../components/ui/button.tsx';
import { Card } from '../../../components/ui/card.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { InputField } from '../../../components/ui/input.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { PageHeader } from '../../../components/ui/page-header.tsx';
import { Time } from '../../../components/ui/time.tsx';
import { useMe } from '../../../lib/use-me.ts';
import { useTitle } from '../../../lib/use-title.ts';
import { useAudit, type AuditFilters } from '../api/audit.ts';

const selectClass =
  'mt-1.5 block rounded-md border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30';

export function AuditPage() {
  useTitle('Audit');
  const me = useMe();
  const administered = (me.data?.workspaces ?? []).filter(
    (w) => w.role === 'owner' || w.role === 'admin',
  );
  const [draft, setDraft] = useState<AuditFilters>({});
  const [filters, setFilters] = useState<AuditFilters>({});
  // The cursors of the pages before this one, to go back.
  const [cursors, setCursors] = useState<Array<string | undefined>>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const audit = useAudit(filters, cursor);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters({ ...draft });
    setCursors([]);
    setCursor(undefined);
  };
  const field = (name: keyof AuditFilters) => ({
    value: draft[name] ?? '',
    onChange: (e: { target: { value: string } }) =>
      setDraft((d) => ({ ...d, [name]: e.target.value || undefined })),
  });

  return (
    <>
      <PageHeader
        title="Audit"
        description="Who did what, to what, and when: every change, and every refused attempt."
      />
      <Card title="Filters">
        <form
          onSubmit={apply}
          className="flex flex-wrap items-end gap-4"
          aria-label="Audit filters"
        >
          <div>
            <label htmlFor="audit-workspace" className="block text-sm font-medium text-slate-700">
              Workspace
            </label>
            <select id="audit-workspace" className={selectClass} {...field('workspaceId')}>
              <option value="">Your actions and your workspaces</option>
              {administered.map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
            </select>
          </div>
          <InputField label="Actor" placeholder="name or email" {...field('actor')} />
          <InputField label="Action" placeholder="task." {...field('action')} />
          <InputField label="From" type="date" {...field('from')} />
          <InputField label="To" type="date" {...field('to')} />
          <Button type="submit">Apply</Button>
        </form>
      </Card>
      <div className="mt-6">
        {audit.error && <ErrorMessage title="Could not read the audit trail" error={audit.error} />}
        {audit.isPending && <Loading label="Loading the audit trail…" />}
        {audit.data && (
          <Card title="Entries">
            {audit.data.entries.length === 0 ? (
              <p className="text-sm text-slate-600">No entries match.</p>
            ) : (
              <div className="overflow-x-auto">
                <table className="w-full text-left text-sm" aria-label="Audit entries">
                  <thead className="border-b border-slate-200 text-slate-600">
                    <tr>
                      <th className="py-2 pr-4 font-medium">When</th>
                      <th className="py-2 pr-4 font-medium">Actor</th>
                      <th className="py-2 pr-4 font-medium">Action</th>
                      <th className="py-2 font-medium">Target</th>
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-slate-100">
                    {audit.data.entries.map((entry) => (
                      <tr key={entry.id}>
                        <td className="whitespace-nowrap py-2 pr-4 text-slate-600">
                          <Time iso={entry.at} />
                        </td>
                        <td className="py-2 pr-4 text-slate-900">
                          {entry.actor ? (
                            <>
                              {entry.actor.name}{' '}
                              <span className="text-slate-500">{entry.actor.email}</span>
                            </>
                          ) : (
                            <span className="text-slate-500">
                              {entry.actorUserId ? 'A deleted account' : 'Lucid'}
                            </span>
                          )}
                        </td>
                        <td className="py-2 pr-4 font-mono text-slate-900">{entry.action}</td>
                        <td className="py-2 text-slate-600">
                          {entry.targetType}
                          {entry.targetId && (
                            <span className="ml-1 font-mono text-xs">{entry.targetId}</span>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <div className="mt-4 flex gap-2">
              <Button
                variant="secondary"
                disabled={cursors.length === 0}
                onClick={() => {
                  setCursor(cursors.at(-1));
                  setCursors((c) => c.slice(0, -1));
                }}
              >
                Newer
              </Button>
              <Button
                variant="secondary"
                disabled={!audit.data.nextCursor}
                onClick={() => {
                  setCursors((c) => [...c, cursor]);
                  setCursor(audit.data.nextCursor ?? undefined);
                }}
              >
                Older
              </Button>
            </div>
          </Card>
        )}
      </div>
    </>
  );
}
