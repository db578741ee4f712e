/**
 * @module tasks/timeline
 * A task's pipeline as one timeline: a pure fold ({@link foldTimeline}) over what Lucid stored
 * of it (the task, its runs and what their model calls cost, the events that move a stage, its
 * Notion page and its Vercel deployments) into nine stages: source, plan, coding, tests, safety,
 * pull request, preview, approval, production. A stage nothing was recorded for is `skipped` when
 * the work went on without it, else `pending`: never guessed. A failed stage says why, and offers
 * the action that already retries it (the task's retry, a preview's redeploy, allowing the secret
 * scan's findings once).
 */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { TIMELINE_EVENT_TYPES } from '@lucid/contracts';
import type {
  TaskStatus,
  TaskTimeline,
  TimelineRetry,
  TimelineStage,
  TimelineStageName,
} from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import {
  events,
  repositories,
  runs,
  taskNotionLinks,
  usage,
  vercelDeployments,
  vercelLinks,
} from '../db/schema.ts';
import { loadTask } from './tasks.ts';

/** A stored event, as the fold reads it. */
export interface TimelineEvent {
  seq: number;
  runId: string | null;
  type: string;
  payload: Record<string, unknown>;
  at: Date;
}

/** A run, as the fold reads it. */
export interface TimelineRun {
  id: string;
  status: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  errorMessage: string | null;
  noChanges: boolean;
}

/** A Vercel deployment, as the fold reads it. */
export interface TimelineDeployment {
  id: string;
  target: 'preview' | 'production';
  state: string;
  url: string | null;
  errorMessage: string | null;
  action: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Everything the fold reads of a task. */
export interface TimelineInput {
  task: {
    id: string;
    source: string;
    status: TaskStatus;
    createdAt: Date;
    /** Its repository has an upstream on a forge: its work is published as a pull request. */
    hasForge: boolean;
  };
  notion: { url: string; title: string } | null;
  /** Oldest first. */
  runs: TimelineRun[];
  /** What each run's model calls cost, by run id. */
  runCosts: ReadonlyMap<string, number>;
  /** Oldest first; only the types of {@link TIMELINE_EVENT_TYPES} are needed. */
  events: TimelineEvent[];
  /** Oldest first. */
  deployments: TimelineDeployment[];
  vercelLinked: boolean;
}

const LABELS: Record<TimelineStageName, string> = {
  source: 'Source',
  plan: 'Plan',
  coding: 'Coding',
  tests: 'Tests',
  safety: 'Safety',
  pr: 'Pull request',
  preview: 'Preview',
  approval: 'Approval',
  production: 'Production',
};

const SOURCES: Record<string, string> = {
  chat: 'Started from the chat',
  board: 'Created on the board',
  api: 'Created through the API',
  webhook: 'Asked for on a forge issue',
  notion: 'Picked from Notion',
};

/** Task statuses after which no stage begins without a person acting. */
const SETTLED = new Set<TaskStatus>(['in_review', 'awaiting_merge', 'done', 'failed', 'cancelled']);
const FINAL_DEPLOYMENT = new Set(['READY', 'ERROR', 'CANCELED']);

/** A stage being folded: its times as dates, and whether anything was recorded of it. */
interface Draft {
  stage: TimelineStageName;
  status: TimelineStage['status'];
  evidence: boolean;
  detail?: string | null;
  url?: string | null;
  startedAt?: Date | null;
  endedAt?: Date | null;
  durationMs?: number | null;
  costUsd?: number | null;
  reason?: string | null;
  retry?: TimelineRetry | null;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const num = (value: unknown): number | null => (typeof value === 'number' ? value : null);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const latest = <T>(list: T[], test: (item: T) => boolean): T | undefined => list.findLast(test);

/**
 * Folds a task's stored history into its timeline's stages, in order.
 *
 * @example
 * const { stages } = foldTimeline(input);
 * stages.find((s) => s.stage === 'preview')?.status; // 'succeeded'
 */
export function foldTimeline(input: TimelineInput): TaskTimeline {
  const { task } = input;
  const taskPath = `/api/v1/tasks/${encodeURIComponent(task.id)}`;
  const taskRetry = (label: string): TimelineRetry | null =>
    task.status === 'failed' || task.status === 'cancelled' || task.status === 'awaiting_merge'
      ? { action: 'task.retry', label, method: 'POST', path: `${taskPath}/retry`, body: null }
      : null;
  const of = (type: string) => input.events.filter((e) => e.type === type);

  // Source.
  const source: Draft = {
    stage: 'source',
    status: 'succeeded',
    evidence: true,
    detail:
      task.source === 'notion' && input.notion
        ? `Picked from Notion: ${input.notion.title}`
        : (SOURCES[task.source] ?? null),
    url: input.notion?.url ?? null,
    startedAt: task.createdAt,
    endedAt: task.createdAt,
  };

  // Plan: the run that proposed it is not coding.
  const proposed = latest(input.events, (e) => e.type === 'plan.proposed');
  const planRunId = proposed ? (text(proposed.payload.runId) ?? proposed.runId) : null;
  const codingRuns = input.runs.filter((r) => r.id !== planRunId);
  const plan = planStage(input, proposed, planRunId, codingRuns, taskRetry);

  // Coding.
  const coding = codingStage(input, codingRuns, taskRetry);
  const lastRun = codingRuns.at(-1) ?? null;
  const codingEnd = lastRun?.finishedAt ?? null;
  const roundStart = lastRun?.createdAt ?? task.createdAt;

  // Tests: the checks since the last coding run began, the last of each command.
  const checks = of('check.result').filter((e) => e.at >= roundStart);
  const tests = testsStage(checks, taskRetry);

  // Safety: the last round of checks (one append: consecutive numbers).
  const safetyChecks = of('safety.check');
  const round: TimelineEvent[] = [];
  for (const event of [...safetyChecks].reverse()) {
    if (round.length > 0 && event.seq !== round[0]!.seq - 1) break;
    round.unshift(event);
  }
  const roundEnd = round.at(-1) ?? null;
  const safety = safetyStage(input, round, codingEnd, taskPath);

  // Pull request: what publishing told after the last round of checks.
  const afterRound = input.events.filter((e) => !roundEnd || e.seq > roundEnd.seq);
  const pr = prStage(input, afterRound, roundEnd?.at ?? codingEnd, taskRetry);

  // Preview.
  const previews = input.deployments.filter((d) => d.target === 'preview');
  const preview = deploymentStage(input, 'preview', previews.at(-1) ?? null, (d) => ({
    action: 'deployment.redeploy',
    label: 'Deploy again',
    method: 'POST',
    path: `${taskPath}/deployments/${encodeURIComponent(d.id)}/redeploy`,
    body: null,
  }));

  // Approval.
  const approval = approvalStage(input, roundStart, preview, pr, coding);

  // Production.
  const productions = input.deployments.filter((d) => d.target === 'production');
  const production = deploymentStage(input, 'production', productions.at(-1) ?? null, () => null);

  const drafts = [source, plan, coding, tests, safety, pr, preview, approval, production];
  const settled = SETTLED.has(task.status);
  const stages = drafts.map((draft, i): TimelineStage => {
    let status = draft.status;
    if (!draft.evidence && status === 'pending') {
      const blockedBefore = drafts
        .slice(0, i)
        .some((d) => d.status === 'failed' || d.status === 'running' || d.status === 'waiting');
      const laterWent = drafts.slice(i + 1).some((d) => d.evidence);
      if (!blockedBefore && (laterWent || settled)) status = 'skipped';
    }
    const startedAt = draft.startedAt ?? null;
    const endedAt = draft.endedAt ?? null;
    const durationMs =
      draft.durationMs ??
      (startedAt && endedAt ? Math.max(0, endedAt.getTime() - startedAt.getTime()) : null);
    return {
      stage: draft.stage,
      label: LABELS[draft.stage],
      status,
      detail: draft.detail ?? null,
      url: draft.url ?? null,
      startedAt: startedAt?.toISOString() ?? null,
      endedAt: endedAt?.toISOString() ?? null,
      durationMs: durationMs === null ? null : Math.round(durationMs),
      costUsd: draft.costUsd ?? null,
      reason: draft.reason ?? null,
      retry: status === 'failed' ? (draft.retry ?? null) : null,
    };
  });
  return { taskId: task.id, stages };
}

function planStage(
  input: TimelineInput,
  proposed: TimelineEvent | undefined,
  planRunId: string | null,
  codingRuns: TimelineRun[],
  taskRetry: (label: string) => TimelineRetry | null,
): Draft {
  if (!proposed) return { stage: 'plan', status: 'pending', evidence: false };
  const planRun = input.runs.find((r) => r.id === planRunId) ?? null;
  const base: Draft = {
    stage: 'plan',
    status: 'waiting',
    evidence: true,
    startedAt: planRun?.startedAt ?? proposed.at,
    costUsd: planRunId ? (input.runCosts.get(planRunId) ?? 0) : null,
  };
  const decision = latest(
    input.events,
    (e) => (e.type === 'plan.approved' || e.type === 'plan.rejected') && e.seq > proposed.seq,
  );
  if (decision?.type === 'plan.rejected') {
    const note = text(decision.payload.note);
    return {
      ...base,
      status: 'failed',
      endedAt: decision.at,
      reason: note ? `The plan was rejected: ${note}` : 'The plan was rejected.',
      retry: taskRetry('Plan again'),
    };
  }
  if (decision) {
    return {
      ...base,
      status: 'succeeded',
      endedAt: decision.at,
      detail: decision.payload.edited === true ? 'Approved with edits' : 'Approved',
    };
  }
  const codingAfter = codingRuns.some((r) => r.createdAt >= proposed.at);
  if (codingAfter) {
    return { ...base, status: 'succeeded', endedAt: proposed.at, detail: 'Proposed' };
  }
  return { ...base, detail: 'The plan waits for approval' };
}

function codingStage(
  input: TimelineInput,
  codingRuns: TimelineRun[],
  taskRetry: (label: string) => TimelineRetry | null,
): Draft {
  const last = codingRuns.at(-1);
  if (!last) return { stage: 'coding', status: 'pending', evidence: false };
  const started = codingRuns.find((r) => r.startedAt)?.startedAt ?? null;
  const costUsd = codingRuns.reduce((sum, r) => sum + (input.runCosts.get(r.id) ?? 0), 0);
  const worked = codingRuns.reduce(
    (sum, r) =>
      r.startedAt && r.finishedAt ? sum + (r.finishedAt.getTime() - r.startedAt.getTime()) : sum,
    0,
  );
  const runsWord = plural(codingRuns.length, 'run');
  const base: Draft = {
    stage: 'coding',
    status: 'running',
    evidence: true,
    startedAt: started,
    costUsd,
    detail: runsWord,
  };
  switch (last.status) {
    case 'queued':
      return { ...base, status: 'pending', detail: 'Queued' };
    case 'running':
      return base;
    case 'succeeded':
      return {
        ...base,
        status: 'succeeded',
        endedAt: last.finishedAt,
        durationMs: worked,
        detail: last.noChanges ? `${runsWord}, no changes` : runsWord,
      };
    default:
      return {
        ...base,
        status: 'failed',
        endedAt: last.finishedAt,
        durationMs: worked,
        reason:
          last.status === 'cancelled'
            ? 'The run was stopped.'
            : (last.errorMessage ??
              (last.status === 'interrupted'
                ? 'The run was interrupted: its runner stopped answering.'
                : 'The run failed.')),
        retry: taskRetry('Retry'),
      };
  }
}

function testsStage(
  checks: TimelineEvent[],
  taskRetry: (label: string) => TimelineRetry | null,
): Draft {
  if (checks.length === 0) return { stage: 'tests', status: 'pending', evidence: false };
  const byCommand = new Map<string, TimelineEvent>();
  for (const check of checks) byCommand.set(text(check.payload.command) ?? '', check);
  const last = [...byCommand.values()];
  const failed = last.filter((c) => c.payload.passed !== true);
  const durations = last.map((c) => num(c.payload.durationMs) ?? 0);
  const startedAt = new Date(Math.min(...last.map((c, i) => c.at.getTime() - (durations[i] ?? 0))));
  const endedAt = new Date(Math.max(...last.map((c) => c.at.getTime())));
  const base: Draft = {
    stage: 'tests',
    status: 'succeeded',
    evidence: true,
    startedAt,
    endedAt,
    durationMs: durations.reduce((a, b) => a + b, 0),
    detail: `${last.length - failed.length} of ${plural(last.length, 'check')} passed`,
  };
  const first = failed[0];
  if (!first) return base;
  const command = text(first.payload.command) ?? 'A check';
  const exitCode = num(first.payload.exitCode);
  return {
    ...base,
    status: 'failed',
    reason:
      `\`${command}\` ${exitCode === null ? 'did not finish' : `exited with ${exitCode}`}` +
      (failed.length > 1 ? `, and ${plural(failed.length - 1, 'other check')} failed.` : '.'),
    retry: taskRetry('Retry'),
  };
}

function safetyStage(
  input: TimelineInput,
  round: TimelineEvent[],
  codingEnd: Date | null,
  taskPath: string,
): Draft {
  const end = round.at(-1);
  if (!end) return { stage: 'safety', status: 'pending', evidence: false };
  const startedAt = codingEnd && codingEnd <= end.at ? codingEnd : end.at;
  const base: Draft = { stage: 'safety', status: 'succeeded', evidence: true, startedAt };
  const allowedSince = input.events.some((e) => e.type === 'safety.allowed' && e.seq > end.seq);
  const blocked = round.filter((e) => e.payload.result === 'blocked');
  if (blocked.length === 0) {
    return { ...base, endedAt: end.at, detail: `${plural(round.length, 'check')} passed` };
  }
  if (allowedSince) {
    return { ...base, status: 'running', detail: 'Findings allowed once: checking again' };
  }
  const first = blocked[0]!;
  const open = blocked
    .filter((e) => e.payload.check === 'secrets')
    .flatMap((e) => (Array.isArray(e.payload.findings) ? e.payload.findings : []))
    .filter(
      (f): f is { fingerprint: string } =>
        typeof f === 'object' &&
        f !== null &&
        typeof (f as { fingerprint?: unknown }).fingerprint === 'string' &&
        (f as { allowed?: unknown }).allowed !== true,
    )
    .map((f) => f.fingerprint);
  const fingerprints = [...new Set(open)].slice(0, 100);
  return {
    ...base,
    status: 'failed',
    endedAt: end.at,
    detail: `${plural(blocked.length, 'check')} of ${round.length} blocked`,
    reason: `Push blocked: ${text(first.payload.summary) ?? 'a check failed.'}`,
    retry:
      fingerprints.length > 0
        ? {
            action: 'safety.allow',
            label: 'Allow and push again',
            method: 'POST',
            path: `${taskPath}/safety/allow`,
            body: { fingerprints },
          }
        : null,
  };
}

function prStage(
  input: TimelineInput,
  afterRound: TimelineEvent[],
  startedAt: Date | null,
  taskRetry: (label: string) => TimelineRetry | null,
): Draft {
  const { task } = input;
  if (!task.hasForge) {
    return {
      stage: 'pr',
      status: 'skipped',
      evidence: false,
      detail: 'The repository has no forge: the branch stays on Lucid',
    };
  }
  const base: Draft = { stage: 'pr', status: 'running', evidence: true, startedAt };
  const request = latest(afterRound, (e) => e.type === 'pr.opened' || e.type === 'pr.updated');
  if (request) {
    const number = num(request.payload.number);
    const gitlab = request.payload.provider === 'gitlab';
    return {
      ...base,
      status: 'succeeded',
      endedAt: request.at,
      url: text(request.payload.url),
      detail: `${gitlab ? 'Merge request !' : 'Pull request #'}${number ?? ''} ${
        request.type === 'pr.opened' ? 'opened' : 'updated'
      }`,
    };
  }
  const failure = afterRound.find((e) => e.type === 'error');
  if (failure) {
    return {
      ...base,
      status: 'failed',
      endedAt: failure.at,
      reason: text(failure.payload.message) ?? 'The work was not published.',
      retry: failure.payload.code === 'push_rejected' ? taskRetry('Push again') : null,
    };
  }
  const pending = latest(afterRound, (e) => e.type === 'pr.pending');
  if (pending) {
    return {
      ...base,
      detail: `Attempt ${num(pending.payload.attempt) ?? 1} of ${num(pending.payload.maxAttempts) ?? 1} failed: ${text(pending.payload.reason) ?? ''}; trying again`,
    };
  }
  return { stage: 'pr', status: 'pending', evidence: false };
}

function deploymentStage(
  input: TimelineInput,
  stage: 'preview' | 'production',
  row: TimelineDeployment | null,
  retry: (row: TimelineDeployment) => TimelineRetry | null,
): Draft {
  if (!row) {
    return input.vercelLinked
      ? { stage, status: 'pending', evidence: false }
      : { stage, status: 'skipped', evidence: false, detail: 'No Vercel project is linked' };
  }
  const final = FINAL_DEPLOYMENT.has(row.state);
  const told = final
    ? input.events.find(
        (e) =>
          e.type === 'deployment.state' &&
          e.payload.deploymentId === row.id &&
          e.payload.state === row.state,
      )
    : undefined;
  const base: Draft = {
    stage,
    status: 'running',
    evidence: true,
    startedAt: row.createdAt,
    endedAt: final ? (told?.at ?? row.updatedAt) : null,
    url: row.state === 'READY' ? row.url : null,
    detail: row.state.toLowerCase(),
  };
  if (row.state === 'READY') {
    return {
      ...base,
      status: 'succeeded',
      detail:
        stage === 'production' ? (row.action === 'rollback' ? 'Rolled back' : 'Promoted') : 'Ready',
    };
  }
  if (final) {
    return {
      ...base,
      status: 'failed',
      detail: null,
      reason:
        row.state === 'CANCELED'
          ? 'The deployment was cancelled on Vercel.'
          : (row.errorMessage ?? 'The build failed.'),
      retry: retry(row),
    };
  }
  return base;
}

function approvalStage(
  input: TimelineInput,
  roundStart: Date,
  preview: Draft,
  pr: Draft,
  coding: Draft,
): Draft {
  const since = input.events.filter((e) => e.at >= roundStart);
  const promoted = latest(
    since,
    (e) => e.type === 'deployment.gate' && e.payload.action === 'promoted',
  );
  const review = latest(since, (e) => e.type === 'review');
  const done = latest(since, (e) => e.type === 'task.status' && e.payload.status === 'done');
  const startedAt =
    (preview.status === 'succeeded' ? preview.endedAt : null) ??
    (pr.status === 'succeeded' ? pr.endedAt : null) ??
    (coding.status === 'succeeded' ? coding.endedAt : null) ??
    null;
  const base: Draft = { stage: 'approval', status: 'waiting', evidence: true, startedAt };
  if (promoted) {
    return {
      ...base,
      status: 'succeeded',
      endedAt: promoted.at,
      detail: `Promoted by ${text(promoted.payload.by) ?? 'someone'}`,
    };
  }
  if (review?.payload.decision === 'approved') {
    return { ...base, status: 'succeeded', endedAt: review.at, detail: 'Approved' };
  }
  if (review?.payload.decision === 'rejected') {
    const reason = text(review.payload.reason);
    return {
      ...base,
      status: 'failed',
      endedAt: review.at,
      reason: reason ? `The work was rejected: ${reason}` : 'The work was rejected.',
    };
  }
  if (done) return { ...base, status: 'succeeded', endedAt: done.at, detail: 'Merged' };
  const requested = latest(
    since,
    (e) => e.type === 'deployment.gate' && e.payload.action === 'requested',
  );
  if (requested) {
    return { ...base, detail: `Promotion asked for by ${text(requested.payload.by) ?? 'someone'}` };
  }
  if (input.task.status === 'in_review') return { ...base, detail: 'Waiting for a reviewer' };
  return { stage: 'approval', status: 'pending', evidence: false };
}

/**
 * A task's timeline, for a member of its workspace (else `task_not_found`).
 *
 * @example
 * const timeline = await taskTimeline(db, { userId, taskId });
 */
export async function taskTimeline(
  db: Db,
  { userId, taskId }: { userId: string; taskId: string },
): Promise<TaskTimeline> {
  const task = await loadTask(db, userId, taskId, 'member');
  const [repo] = await db
    .select({ provider: repositories.provider, upstream: repositories.upstreamFullName })
    .from(repositories)
    .where(eq(repositories.id, task.repoId));
  const [notion] = await db
    .select({ url: taskNotionLinks.url, title: taskNotionLinks.title })
    .from(taskNotionLinks)
    .where(eq(taskNotionLinks.taskId, task.id));
  const runRows = await db
    .select()
    .from(runs)
    .where(eq(runs.taskId, task.id))
    .orderBy(asc(runs.createdAt), asc(runs.id));
  const costs = await db
    .select({ runId: usage.runId, costUsd: sql<number>`sum(${usage.costUsd})`.mapWith(Number) })
    .from(usage)
    .where(eq(usage.taskId, task.id))
    .groupBy(usage.runId);
  const eventRows = await db
    .select()
    .from(events)
    .where(and(eq(events.taskId, task.id), inArray(events.type, [...TIMELINE_EVENT_TYPES])))
    .orderBy(asc(events.seq));
  const deployments = await db
    .select()
    .from(vercelDeployments)
    .where(eq(vercelDeployments.taskId, task.id))
    .orderBy(asc(vercelDeployments.createdAt), asc(vercelDeployments.id));
  const [link] = await db
    .select({ repoId: vercelLinks.repoId })
    .from(vercelLinks)
    .where(eq(vercelLinks.repoId, task.repoId));
  return foldTimeline({
    task: {
      id: task.id,
      source: task.source,
      status: task.status,
      createdAt: task.createdAt,
      hasForge: Boolean(repo && repo.provider !== 'local' && repo.upstream),
    },
    notion: notion ?? null,
    runs: runRows,
    runCosts: new Map(costs.flatMap((c) => (c.runId ? [[c.runId, c.costUsd] as const] : []))),
    events: eventRows,
    deployments,
    vercelLinked: Boolean(link),
  });
}
