/**
 * @module usage/report
 * A workspace's usage over a date range: the stored `usage` rows (model calls, tokens, cost) and
 * the runs created in the range with how they ended, grouped by day, user, model or task; and the
 * pipeline's success metrics for the tasks created in the range ({@link pipelineMetrics}).
 */
import { and, asc, eq, gte, inArray, isNull, lt, min, sql, type SQL } from 'drizzle-orm';
import type {
  PipelineMetrics,
  RunStatus,
  UsageFigures,
  UsageGroup,
  UsageGroupBy,
  UsageReport,
} from '@lucid/contracts';
import { parseRange } from '../audit/date-range.ts';
import type { Db } from '../db/client.ts';
import { events, runs, tasks, usage, users, vercelDeployments } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { personalWorkspaceId, requireRole } from '../workspaces/workspaces.ts';

const DAY_MS = 86_400_000;
/** The longest range a report covers: a leap year and its last day. */
const MAX_DAYS = 366;
/** What an empty key means: a task whose author is gone, a run of commands alone. */
const NONE: Record<UsageGroupBy, string> = {
  day: '',
  user: 'A deleted account',
  model: 'No model (commands)',
  task: '',
};
const RUN_STATUSES: RunStatus[] = [
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
  'queued',
  'running',
];

/** The range a query names: by default the 30 days up to today (UTC). */
export function usageRange(query: { from?: string | undefined; to?: string | undefined }): {
  from: Date;
  to: Date;
} {
  const given = parseRange(query);
  const to = given.to ?? new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS + DAY_MS);
  const from = given.from ?? new Date(to.getTime() - 30 * DAY_MS);
  if (from.getTime() > to.getTime()) {
    throw new AppError('invalid_date_range', 'The start of the range comes after its end.');
  }
  if (to.getTime() - from.getTime() > MAX_DAYS * DAY_MS) {
    throw new AppError(
      'invalid_date_range',
      'A usage report covers a year at most: choose a shorter range.',
    );
  }
  return { from, to };
}

/**
 * Sums a workspace's usage for a member (or above) of it.
 *
 * @example
 * const report = await usageReport(db, { userId, groupBy: 'model' });
 */
export async function usageReport(
  db: Db,
  query: {
    userId: string;
    workspaceId?: string | undefined;
    from?: string | undefined;
    to?: string | undefined;
    groupBy: UsageGroupBy;
  },
): Promise<UsageReport> {
  const workspaceId = query.workspaceId ?? (await personalWorkspaceId(db, query.userId));
  await requireRole(db, workspaceId, query.userId, 'member');
  const { from, to } = usageRange(query);

  const usageKey = {
    day: sql<string>`to_char(${usage.at} at time zone 'UTC', 'YYYY-MM-DD')`,
    user: sql<string>`coalesce(${usage.userId}, '')`,
    model: sql<string>`${usage.model}`,
    task: sql<string>`${usage.taskId}`,
  }[query.groupBy];
  const spent = await db
    .select({
      key: usageKey,
      calls: sql<number>`count(*)`.mapWith(Number),
      inputTokens: sql<number>`sum(${usage.inputTokens})`.mapWith(Number),
      cachedInputTokens: sql<number>`sum(${usage.cachedInputTokens})`.mapWith(Number),
      outputTokens: sql<number>`sum(${usage.outputTokens})`.mapWith(Number),
      costUsd: sql<number>`sum(${usage.costUsd})`.mapWith(Number),
    })
    .from(usage)
    .where(and(eq(usage.workspaceId, workspaceId), gte(usage.at, from), lt(usage.at, to)))
    .groupBy(usageKey);

  const runKey: SQL<string> = {
    day: sql<string>`to_char(${runs.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`,
    user: sql<string>`coalesce(${tasks.createdBy}, '')`,
    model: sql<string>`coalesce(${runs.spec}->>'model', '')`,
    task: sql<string>`${runs.taskId}`,
  }[query.groupBy];
  const ended = await db
    .select({ key: runKey, status: runs.status, count: sql<number>`count(*)`.mapWith(Number) })
    .from(runs)
    .innerJoin(tasks, eq(tasks.id, runs.taskId))
    .where(
      and(eq(tasks.workspaceId, workspaceId), gte(runs.createdAt, from), lt(runs.createdAt, to)),
    )
    .groupBy(runKey, runs.status);

  const groups = new Map<string, UsageFigures>();
  const figures = (key: string): UsageFigures => {
    let found = groups.get(key);
    if (!found) {
      found = emptyFigures();
      groups.set(key, found);
    }
    return found;
  };
  if (query.groupBy === 'day') {
    for (let t = from.getTime() - (from.getTime() % DAY_MS); t < to.getTime(); t += DAY_MS) {
      figures(new Date(t).toISOString().slice(0, 10));
    }
  }
  for (const { key, ...spentInGroup } of spent) Object.assign(figures(key), spentInGroup);
  for (const row of ended) {
    const group = figures(row.key);
    group.runs += row.count;
    group.outcomes[row.status] += row.count;
  }

  const labels = await labelsOf(db, query.groupBy, [...groups.keys()]);
  const list: UsageGroup[] = [...groups.entries()].map(([key, group]) => ({
    key,
    label: labels.get(key) ?? (key || NONE[query.groupBy]),
    ...group,
  }));
  if (query.groupBy === 'day') list.sort((a, b) => a.key.localeCompare(b.key));
  else
    list.sort((a, b) => b.costUsd - a.costUsd || b.runs - a.runs || a.label.localeCompare(b.label));

  const totals = emptyFigures();
  for (const group of list) addFigures(totals, group);
  return {
    workspaceId,
    from: from.toISOString(),
    to: to.toISOString(),
    groupBy: query.groupBy,
    totals,
    groups: list,
    pipeline: await pipelineMetrics(db, { workspaceId, from, to }),
  };
}

/** The value below which `share` of the sorted values lie (nearest rank); null for none. */
function percentile(sorted: number[], share: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil(share * sorted.length) - 1)] ?? null;
}

/**
 * The pipeline's success metrics for a workspace's tasks created in `[from, to)`, measured from
 * what Lucid recorded: time from a task's first run started to its first preview ready, the share
 * of finished tasks whose last `check.result` passed, what their models cost per task, the pushes
 * the secret scan blocked, and the production deployments with no approval recorded (which the
 * gate makes impossible: anything but 0 means a deployment went around it).
 *
 * @example
 * const { unauthorizedDeployments } = await pipelineMetrics(db, { workspaceId, from, to });
 */
export async function pipelineMetrics(
  db: Db,
  { workspaceId, from, to }: { workspaceId: string; from: Date; to: Date },
): Promise<PipelineMetrics> {
  const inRange = and(
    eq(tasks.workspaceId, workspaceId),
    gte(tasks.createdAt, from),
    lt(tasks.createdAt, to),
  );
  const taskRows = await db
    .select({ id: tasks.id, status: tasks.status })
    .from(tasks)
    .where(inRange);
  const ids = taskRows.map((t) => t.id);
  const empty: PipelineMetrics = {
    tasks: 0,
    previewReadyMedianMs: null,
    previewReadyP90Ms: null,
    previewsReady: 0,
    finishedTasks: 0,
    testedTasks: 0,
    testsPassed: 0,
    testsPassShare: null,
    costPerTaskUsd: null,
    secretsBlocked: 0,
    unauthorizedDeployments: 0,
  };
  if (ids.length === 0) return empty;

  const started = await db
    .select({ taskId: runs.taskId, at: min(runs.startedAt) })
    .from(runs)
    .where(inArray(runs.taskId, ids))
    .groupBy(runs.taskId);
  const ready = await db
    .select({ taskId: events.taskId, at: min(events.at) })
    .from(events)
    .where(
      and(
        inArray(events.taskId, ids),
        eq(events.type, 'deployment.state'),
        sql`${events.payload}->>'target' = 'preview'`,
        sql`${events.payload}->>'state' = 'READY'`,
      ),
    )
    .groupBy(events.taskId);
  const startOf = new Map(started.map((s) => [s.taskId, s.at]));
  const toPreview = ready
    .flatMap(({ taskId, at }) => {
      const start = startOf.get(taskId);
      return start && at ? [Math.max(0, at.getTime() - start.getTime())] : [];
    })
    .sort((a, b) => a - b);

  const finished = new Set(
    taskRows
      .filter((t) => t.status === 'done' || t.status === 'failed' || t.status === 'cancelled')
      .map((t) => t.id),
  );
  const checks =
    finished.size === 0
      ? []
      : await db
          .select({
            taskId: events.taskId,
            passed: sql<boolean>`(${events.payload}->>'passed') = 'true'`,
          })
          .from(events)
          .where(and(inArray(events.taskId, [...finished]), eq(events.type, 'check.result')))
          .orderBy(asc(events.taskId), asc(events.seq));
  const lastCheck = new Map(checks.map((c) => [c.taskId, c.passed]));
  const testsPassed = [...lastCheck.values()].filter(Boolean).length;

  const [spent] = await db
    .select({ costUsd: sql<number>`coalesce(sum(${usage.costUsd}), 0)`.mapWith(Number) })
    .from(usage)
    .where(inArray(usage.taskId, ids));
  const [blocked] = await db
    .select({ count: sql<number>`count(*)`.mapWith(Number) })
    .from(events)
    .where(
      and(
        inArray(events.taskId, ids),
        eq(events.type, 'safety.check'),
        sql`${events.payload}->>'check' = 'secrets'`,
        sql`${events.payload}->>'result' = 'blocked'`,
      ),
    );
  const [unauthorized] = await db
    .select({ count: sql<number>`count(*)`.mapWith(Number) })
    .from(vercelDeployments)
    .where(
      and(
        inArray(vercelDeployments.taskId, ids),
        eq(vercelDeployments.target, 'production'),
        isNull(vercelDeployments.approvedAt),
      ),
    );

  return {
    ...empty,
    tasks: ids.length,
    previewReadyMedianMs: percentile(toPreview, 0.5),
    previewReadyP90Ms: percentile(toPreview, 0.9),
    previewsReady: toPreview.length,
    finishedTasks: finished.size,
    testedTasks: lastCheck.size,
    testsPassed,
    testsPassShare: lastCheck.size === 0 ? null : testsPassed / lastCheck.size,
    costPerTaskUsd: (spent?.costUsd ?? 0) / ids.length,
    secretsBlocked: blocked?.count ?? 0,
    unauthorizedDeployments: unauthorized?.count ?? 0,
  };
}

function emptyFigures(): UsageFigures {
  return {
    calls: 0,
    inputTokens: 0,
    cachedInputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    runs: 0,
    outcomes: Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>,
  };
}

function addFigures(into: UsageFigures, more: UsageFigures): void {
  into.calls += more.calls;
  into.inputTokens += more.inputTokens;
  into.cachedInputTokens += more.cachedInputTokens;
  into.outputTokens += more.outputTokens;
  into.costUsd += more.costUsd;
  into.runs += more.runs;
  for (const status of RUN_STATUSES) into.outcomes[status] += more.outcomes[status];
}

/** What a person reads for each key: a user's name and email, a task's title. */
async function labelsOf(
  db: Db,
  groupBy: UsageGroupBy,
  keys: string[],
): Promise<Map<string, string>> {
  const ids = keys.filter(Boolean);
  if (ids.length === 0) return new Map();
  if (groupBy === 'user') {
    const rows = await db
      .select({ id: users.id, name: users.name, email: users.email })
      .from(users)
      .where(inArray(users.id, ids));
    return new Map(rows.map((r) => [r.id, `${r.name} (${r.email})`]));
  }
  if (groupBy === 'task') {
    const rows = await db
      .select({ id: tasks.id, title: tasks.title })
      .from(tasks)
      .where(inArray(tasks.id, ids));
    return new Map(rows.map((r) => [r.id, r.title]));
  }
  return new Map();
}

const CSV_COLUMNS = [
  'key',
  'label',
  'calls',
  'inputTokens',
  'cachedInputTokens',
  'outputTokens',
  'costUsd',
  'runs',
  ...RUN_STATUSES,
] as const;

/**
 * The report as CSV: one line per group, the same figures as the JSON.
 *
 * @example
 * reply.type('text/csv').send(usageCsv(report));
 */
export function usageCsv(report: UsageReport): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const group of report.groups) {
    const cells = CSV_COLUMNS.map((column) => {
      if (column === 'key' || column === 'label') return csvCell(group[column]);
      if ((RUN_STATUSES as string[]).includes(column))
        return String(group.outcomes[column as RunStatus]);
      return String(group[column as Exclude<keyof UsageFigures, 'outcomes'>]);
    });
    lines.push(cells.join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

function csvCell(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
