/**
 * @module features/notion/components/from-notion
 * New task → From Notion: pick a database of a connected Notion workspace (searched, a page at a
 * time), map it onto a repository once (base branch, status property and its options, PR-link and
 * preview properties, started from guessed defaults; the status that starts tasks automatically,
 * with how that fares), then pick one of its pages (searched by title, filtered by status, a page
 * at a time). The page's Markdown and address become the prompt, and the mapping gives the
 * repository and base branch.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import type {
  NotionDatabase,
  NotionDatabaseDetail,
  NotionMappingBody,
  NotionPageSummary,
  NotionPickupState,
  NotionStatusOptions,
  Repo,
} from '@lucid/contracts';
import { selectClass } from '../../../components/ui/agent-model-fields.tsx';
import { Button } from '../../../components/ui/button.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { InputField } from '../../../components/ui/input.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import {
  useNotionDatabase,
  useNotionDatabases,
  useNotionPage,
  useNotionPages,
  useNotionStatus,
  useSaveNotionMapping,
} from '../../../lib/queries/notion.ts';

/** What a picked page gives the new task. */
export interface NotionPick {
  connectionId: string;
  pageId: string;
  title: string;
  url: string;
  prompt: string;
  repoId: string;
  baseBranch: string | null;
}

const OPTION_LABELS: [keyof NotionStatusOptions, string][] = [
  ['todo', 'To do'],
  ['inProgress', 'In progress'],
  ['inReview', 'In review'],
  ['done', 'Done'],
  ['failed', 'Failed'],
];

/** Cursors of the pages seen so far, so Previous goes back. */
function usePaging() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors.at(-1) ?? null;
  return {
    cursor,
    first: cursors.length === 1,
    next: (nextCursor: string) => setCursors((c) => [...c, nextCursor]),
    previous: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
    reset: () => setCursors([null]),
  };
}

function Pager({
  first,
  nextCursor,
  onPrevious,
  onNext,
}: {
  first: boolean;
  nextCursor: string | null | undefined;
  onPrevious: () => void;
  onNext: (cursor: string) => void;
}) {
  if (first && !nextCursor) return null;
  return (
    <div className="mt-2 flex gap-2">
      <Button variant="ghost" size="sm" disabled={first} onClick={onPrevious}>
        Previous
      </Button>
      <Button
        variant="ghost"
        size="sm"
        disabled={!nextCursor}
        onClick={() => nextCursor && onNext(nextCursor)}
      >
        Next
      </Button>
    </div>
  );
}

function DatabasePicker({
  connectionId,
  onPick,
}: {
  connectionId: string;
  onPick: (database: NotionDatabase) => void;
}) {
  const [q, setQ] = useState('');
  const paging = usePaging();
  const databases = useNotionDatabases(connectionId, q, paging.cursor);
  return (
    <div>
      <InputField
        label="Database"
        placeholder="Search databases"
        value={q}
        onChange={(event) => {
          setQ(event.target.value);
          paging.reset();
        }}
      />
      {databases.isPending ? (
        <Loading label="Loading databases…" />
      ) : databases.error ? (
        <ErrorMessage error={databases.error} onRetry={() => void databases.refetch()} />
      ) : databases.data.databases.length === 0 ? (
        <p className="mt-2 text-sm text-slate-600">
          No database found: share one with the integration in Notion (••• → Connections).
        </p>
      ) : (
        <ul aria-label="Notion databases" className="mt-2 divide-y divide-slate-100">
          {databases.data.databases.map((database) => (
            <li key={database.id} className="flex items-center justify-between gap-3 py-1.5">
              <span className="text-sm text-slate-900">
                {database.icon && !database.icon.startsWith('http') && (
                  <span aria-hidden="true">{database.icon} </span>
                )}
                {database.title}
                {database.mapped && <span className="ml-2 text-xs text-emerald-700">mapped</span>}
              </span>
              <Button variant="secondary" size="sm" onClick={() => onPick(database)}>
                Choose {database.title}
              </Button>
            </li>
          ))}
        </ul>
      )}
      <Pager
        first={paging.first}
        nextCursor={databases.data?.nextCursor}
        onPrevious={paging.previous}
        onNext={paging.next}
      />
    </div>
  );
}

function MappingEditor({
  connectionId,
  detail,
  repos,
  onSaved,
}: {
  connectionId: string;
  detail: NotionDatabaseDetail;
  repos: Repo[];
  onSaved: () => void;
}) {
  const save = useSaveNotionMapping(connectionId, detail.database.id);
  const start = detail.mapping ?? { ...detail.suggested, repoId: repos[0]?.id ?? '' };
  const [form, setForm] = useState<NotionMappingBody>({
    repoId: start.repoId,
    baseBranch: start.baseBranch,
    statusProperty: start.statusProperty,
    statusOptions: start.statusOptions,
    prLinkProperty: start.prLinkProperty,
    previewProperty: start.previewProperty,
    pickupStatus: detail.mapping?.pickupStatus ?? null,
  });
  const status = detail.properties.find((p) => p.name === form.statusProperty);
  const statusProperties = detail.properties.filter(
    (p) => p.type === 'status' || p.type === 'select',
  );
  const linkProperties = detail.properties.filter(
    (p) => p.type === 'url' || p.type === 'rich_text',
  );
  const set = (patch: Partial<NotionMappingBody>) => setForm((f) => ({ ...f, ...patch }));
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(form, { onSuccess: onSaved });
  };
  const propertySelect = (
    label: string,
    value: string | null,
    choices: { name: string }[],
    onChange: (value: string | null) => void,
  ) => (
    <label className="block text-sm font-medium text-slate-700">
      {label}
      <select
        className={selectClass}
        value={value ?? ''}
        onChange={(event) => onChange(event.target.value || null)}
      >
        <option value="">None</option>
        {choices.map((p) => (
          <option key={p.name} value={p.name}>
            {p.name}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <form
      onSubmit={onSubmit}
      aria-label="Database mapping"
      className="space-y-4 rounded-md bg-slate-50 p-4 ring-1 ring-slate-200"
    >
      <p className="text-sm text-slate-700">
        How the pages of <strong>{detail.database.title}</strong> become tasks:
      </p>
      <div className="grid gap-4 sm:grid-cols-2">
        <label className="block text-sm font-medium text-slate-700">
          Repository
          <select
            className={selectClass}
            value={form.repoId}
            required
            onChange={(event) => set({ repoId: event.target.value })}
          >
            {repos.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </select>
        </label>
        <InputField
          label="Base branch"
          placeholder="The repository's default branch"
          value={form.baseBranch ?? ''}
          onChange={(event) => set({ baseBranch: event.target.value.trim() || null })}
        />
        {propertySelect('Status property', form.statusProperty, statusProperties, (name) =>
          set({ statusProperty: name, statusOptions: {}, pickupStatus: null }),
        )}
        {propertySelect('PR link property', form.prLinkProperty, linkProperties, (name) =>
          set({ prLinkProperty: name }),
        )}
        {propertySelect('Preview property', form.previewProperty, linkProperties, (name) =>
          set({ previewProperty: name }),
        )}
      </div>
      {status && (
        <fieldset className="grid gap-4 sm:grid-cols-3">
          <legend className="mb-1 text-sm font-medium text-slate-700">
            Options of {status.name} for each stage
          </legend>
          {OPTION_LABELS.map(([key, label]) => (
            <label key={key} className="block text-sm text-slate-700">
              {label}
              <select
                className={selectClass}
                value={form.statusOptions[key] ?? ''}
                onChange={(event) =>
                  set({
                    statusOptions: {
                      ...form.statusOptions,
                      [key]: event.target.value || undefined,
                    },
                  })
                }
              >
                <option value="">None</option>
                {status.options.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            </label>
          ))}
        </fieldset>
      )}
      {status && (
        <div className="space-y-1">
          <label className="block text-sm font-medium text-slate-700">
            Start tasks automatically when their status becomes
            <select
              className={selectClass}
              value={form.pickupStatus ?? ''}
              onChange={(event) => set({ pickupStatus: event.target.value || null })}
            >
              <option value="">Never (start them here)</option>
              {status.options.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
          </label>
          <p className="text-xs text-slate-600">
            Lucid looks at the database regularly and starts a task from each page that enters this
            status, once, as the user who turned this on.
          </p>
        </div>
      )}
      {detail.mapping?.pickup && <PickupState pickup={detail.mapping.pickup} />}
      {save.error && <ErrorMessage title="Mapping not saved" error={save.error} />}
      <Button type="submit" size="sm" pending={save.isPending} pendingText="Saving…">
        Save mapping
      </Button>
    </form>
  );
}

/** How automatic pickup fares: whose tasks it starts, when it last looked, why it stopped. */
function PickupState({ pickup }: { pickup: NotionPickupState }) {
  return (
    <div role="status" aria-label="Automatic pickup" className="space-y-1 text-sm">
      <p className="text-slate-700">
        {pickup.stopped ? 'Automatic pickup stopped' : 'Automatic pickup is on'}
        {pickup.startedBy ? `, starting tasks as ${pickup.startedBy}` : ''}.{' '}
        {pickup.lastPolledAt
          ? `Last looked at ${new Date(pickup.lastPolledAt).toLocaleString()}.`
          : 'Not looked at yet.'}
      </p>
      {pickup.error && (
        <p className="text-red-700">
          {pickup.error}
          {pickup.stopped ? ' Save the mapping again to start it again.' : ''}
        </p>
      )}
    </div>
  );
}

function PagePicker({
  connectionId,
  detail,
  onPick,
}: {
  connectionId: string;
  detail: NotionDatabaseDetail;
  onPick: (page: NotionPageSummary) => void;
}) {
  const [q, setQ] = useState('');
  const statusName = detail.mapping?.statusProperty ?? null;
  const status = detail.properties.find((p) => p.name === statusName);
  const [statusFilter, setStatusFilter] = useState(detail.mapping?.statusOptions.todo ?? '');
  const paging = usePaging();
  const pages = useNotionPages(connectionId, detail.database.id, {
    q,
    status: statusFilter,
    cursor: paging.cursor,
  });
  return (
    <div>
      <div className="grid gap-4 sm:grid-cols-2">
        <InputField
          label="Task"
          placeholder="Search by title"
          value={q}
          onChange={(event) => {
            setQ(event.target.value);
            paging.reset();
          }}
        />
        {status && (
          <label className="block text-sm font-medium text-slate-700">
            Status
            <select
              className={selectClass}
              value={statusFilter}
              onChange={(event) => {
                setStatusFilter(event.target.value);
                paging.reset();
              }}
            >
              <option value="">Any status</option>
              {status.options.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {pages.isPending ? (
        <Loading label="Loading tasks…" />
      ) : pages.error ? (
        <ErrorMessage error={pages.error} onRetry={() => void pages.refetch()} />
      ) : pages.data.pages.length === 0 ? (
        <p className="mt-2 text-sm text-slate-600">No page matches.</p>
      ) : (
        <ul aria-label="Notion tasks" className="mt-2 divide-y divide-slate-100">
          {pages.data.pages.map((page) => (
            <li key={page.id} className="flex items-center justify-between gap-3 py-1.5">
              <span className="text-sm text-slate-900">
                {page.title}
                {page.status && (
                  <span className="ml-2 rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-700">
                    {page.status}
                  </span>
                )}
              </span>
              <Button variant="secondary" size="sm" onClick={() => onPick(page)}>
                Use {page.title}
              </Button>
            </li>
          ))}
        </ul>
      )}
      <Pager
        first={paging.first}
        nextCursor={pages.data?.nextCursor}
        onPrevious={paging.previous}
        onNext={paging.next}
      />
    </div>
  );
}

/** Reads the picked page (its Markdown) and hands the new task what it gives. */
function PageReader({
  connectionId,
  pageId,
  repoId,
  baseBranch,
  onPick,
}: {
  connectionId: string;
  pageId: string;
  repoId: string;
  baseBranch: string | null;
  onPick: (pick: NotionPick) => void;
}) {
  const page = useNotionPage(connectionId, pageId);
  const handed = useRef<string | null>(null);
  useEffect(() => {
    if (!page.data || handed.current === page.data.id) return;
    handed.current = page.data.id;
    onPick({
      connectionId,
      pageId: page.data.id,
      title: page.data.title,
      url: page.data.url,
      prompt: page.data.prompt,
      repoId,
      baseBranch,
    });
  }, [page.data, connectionId, repoId, baseBranch, onPick]);
  if (page.error) return <ErrorMessage error={page.error} onRetry={() => void page.refetch()} />;
  return page.isPending ? <Loading label="Reading the page…" /> : null;
}

export function FromNotion({
  repos,
  onPick,
}: {
  repos: Repo[];
  onPick: (pick: NotionPick) => void;
}) {
  const status = useNotionStatus();
  const [connectionChoice, setConnectionChoice] = useState('');
  const [database, setDatabase] = useState<NotionDatabase | null>(null);
  const [editing, setEditing] = useState(false);
  const [pageId, setPageId] = useState('');
  const connections = status.data?.connections ?? [];
  const connectionId = connectionChoice || connections[0]?.id || '';
  const detail = useNotionDatabase(connectionId, database?.id ?? '');

  if (status.isPending) return <Loading label="Loading Notion…" />;
  if (status.error) {
    return <ErrorMessage error={status.error} onRetry={() => void status.refetch()} />;
  }
  if (connections.length === 0) {
    return (
      <p className="text-sm text-slate-700">
        No Notion workspace is connected.{' '}
        <Link href="/settings/integrations" className="font-medium text-indigo-700 underline">
          Connect Notion in Settings → Integrations
        </Link>
        .
      </p>
    );
  }
  const mapping = detail.data?.mapping;
  return (
    <section aria-label="From Notion" className="space-y-4">
      {connections.length > 1 && (
        <label className="block text-sm font-medium text-slate-700">
          Notion workspace
          <select
            className={selectClass}
            value={connectionId}
            onChange={(event) => {
              setConnectionChoice(event.target.value);
              setDatabase(null);
              setPageId('');
            }}
          >
            {connections.map((c) => (
              <option key={c.id} value={c.id}>
                {c.workspaceName ?? 'Notion'}
                {c.owner === 'workspace' ? ' (shared)' : ''}
              </option>
            ))}
          </select>
        </label>
      )}
      {!database ? (
        <DatabasePicker connectionId={connectionId} onPick={setDatabase} />
      ) : (
        <div className="space-y-4">
          <div className="flex flex-wrap items-center gap-2 text-sm">
            <span className="text-slate-600">Database:</span>
            <strong>{database.title}</strong>
            <Button
              variant="ghost"
              size="sm"
              onClick={() => {
                setDatabase(null);
                setPageId('');
                setEditing(false);
              }}
            >
              Change database
            </Button>
            {mapping && !editing && (
              <>
                <span className="text-slate-600">
                  → {repos.find((r) => r.id === mapping.repoId)?.name ?? 'a repository'}
                  {mapping.baseBranch ? ` (${mapping.baseBranch})` : ''}
                </span>
                <Button variant="ghost" size="sm" onClick={() => setEditing(true)}>
                  Edit mapping
                </Button>
              </>
            )}
          </div>
          {mapping?.pickup && !editing && <PickupState pickup={mapping.pickup} />}
          {detail.isPending ? (
            <Loading label="Reading the database…" />
          ) : detail.error ? (
            <ErrorMessage error={detail.error} onRetry={() => void detail.refetch()} />
          ) : !mapping || editing ? (
            <MappingEditor
              key={detail.data.mapping?.updatedAt ?? 'new'}
              connectionId={connectionId}
              detail={detail.data}
              repos={repos}
              onSaved={() => setEditing(false)}
            />
          ) : (
            <>
              <PagePicker
                key={mapping.updatedAt}
                connectionId={connectionId}
                detail={detail.data}
                onPick={(page) => setPageId(page.id)}
              />
              {pageId && (
                <PageReader
                  connectionId={connectionId}
                  pageId={pageId}
                  repoId={mapping.repoId}
                  baseBranch={mapping.baseBranch}
                  onPick={onPick}
                />
              )}
            </>
          )}
        </div>
      )}
    </section>
  );
}
