/**
 * @module events
 * A task's history is an append-only log of these events, each numbered by the task's next
 * sequence number. Server, runners and web share this one union; the UI is a fold over it.
 */
import { z } from 'zod';
import { Timestamp } from './common.ts';
import { Plan } from './plan.ts';
import { SafetyAllowedBody, SafetyCheckBody } from './safety.ts';

export const TaskStatus = z.enum([
  'todo',
  'queued',
  'running',
  'plan_review',
  'in_review',
  'awaiting_merge',
  'done',
  'failed',
  'cancelled',
]);
export type TaskStatus = z.infer<typeof TaskStatus>;

export const RunStatus = z.enum([
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
]);
export type RunStatus = z.infer<typeof RunStatus>;

/** The body of each event type; `type` selects it. */
export const EventBody = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('task.status'),
    status: TaskStatus,
    reason: z.string().optional(),
    /** Back to `todo` because the run that ended made no changes: there is nothing to review. */
    noChanges: z.boolean().optional(),
  }),
  z.object({
    type: z.literal('run.status'),
    status: RunStatus,
    reason: z.string().optional(),
  }),
  z.object({
    type: z.literal('tool.call'),
    tool: z.string(),
    input: z.record(z.string(), z.unknown()),
  }),
  z.object({
    type: z.literal('tool.output'),
    stream: z.enum(['stdout', 'stderr']),
    chunk: z.string(),
  }),
  z.object({
    type: z.literal('tool.result'),
    ok: z.boolean(),
    exitCode: z.number().int().nullable().optional(),
    timedOut: z.boolean().optional(),
    truncated: z.boolean().optional(),
  }),
  z.object({
    type: z.literal('error'),
    code: z.string(),
    message: z.string(),
  }),
  z.object({ type: z.literal('message.user'), text: z.string() }),
  /**
   * A piece of the assistant's text as it streams, as an agent reports it. Never stored: the
   * server publishes it live as a draft (live.ts); the step's whole text is stored as message.assistant.
   * `restart`: the answer starts over (its model call was cut and made again): the text streamed
   * before this piece is dropped.
   */
  z.object({
    type: z.literal('message.delta'),
    text: z.string(),
    restart: z.literal(true).optional(),
  }),
  z.object({ type: z.literal('message.assistant'), text: z.string() }),
  z.object({
    type: z.literal('file.changed'),
    path: z.string(),
    change: z.enum(['added', 'modified', 'deleted']),
  }),
  z.object({ type: z.literal('git.commit'), sha: z.string(), subject: z.string() }),
  z.object({ type: z.literal('git.push'), branch: z.string(), sha: z.string() }),
  /** The task's branch was pushed to its repository's upstream on a forge. */
  z.object({
    type: z.literal('upstream.push'),
    provider: z.enum(['github', 'gitlab']),
    branch: z.string(),
    sha: z.string(),
  }),
  /** A pull (GitHub) or merge (GitLab) request was opened for the task's branch. */
  z.object({
    type: z.literal('pr.opened'),
    provider: z.enum(['github', 'gitlab']),
    url: z.string(),
    number: z.number().int().positive(),
  }),
  /** An existing pull or merge request got new commits and a new description. */
  z.object({
    type: z.literal('pr.updated'),
    provider: z.enum(['github', 'gitlab']),
    url: z.string(),
    number: z.number().int().positive(),
  }),
  /**
   * Publishing the task's work to its forge failed in a way that may pass (the forge unreachable,
   * answering 5xx, rate-limiting): `attempt` of `maxAttempts` failed, `reason` says how, and Lucid
   * tries again shortly. The last attempt's failure is an `error`.
   */
  z.object({
    type: z.literal('pr.pending'),
    provider: z.enum(['github', 'gitlab']),
    attempt: z.number().int().positive(),
    maxAttempts: z.number().int().positive(),
    reason: z.string(),
  }),
  /**
   * Lucid wrote to the Notion page the task came from, at one of its stages: the page's status
   * option (`option`), its pull request link (`prLink`), and a comment (`comment`).
   */
  z.object({
    type: z.literal('notion.updated'),
    stage: z.enum(['todo', 'inProgress', 'inReview', 'done', 'failed']),
    option: z.string().nullable(),
    prLink: z.string().nullable(),
    comment: z.boolean(),
    pageUrl: z.string(),
  }),
  /**
   * Writing to the task's Notion page failed for now (Notion rate-limiting, unreachable or
   * answering 5xx): `attempt` of `maxAttempts` failed, `reason` says how, and Lucid tries again
   * shortly. The last attempt's failure is an `error`.
   */
  z.object({
    type: z.literal('notion.pending'),
    attempt: z.number().int().positive(),
    maxAttempts: z.number().int().positive(),
    reason: z.string(),
  }),
  /**
   * A reviewer's decision on the task's work: approved (its branch is merged into `into`) or
   * rejected (back to To Do; the reason goes to the next run).
   */
  z.object({
    type: z.literal('review'),
    decision: z.enum(['approved', 'rejected']),
    reason: z.string().optional(),
  }),
  /** The task's branch was merged into `into`, leaving `sha` at its tip. */
  z.object({
    type: z.literal('git.merge'),
    branch: z.string(),
    into: z.string(),
    sha: z.string(),
  }),
  /**
   * The agent shortened its conversation to stay within the model's context window: large tool
   * outputs of older steps became short notes, and older steps were summarised into one message.
   * `retried` when the provider had refused the request as too long and it was sent again.
   */
  z.object({
    type: z.literal('context.compacted'),
    tokensBefore: z.number().int().min(0),
    tokensAfter: z.number().int().min(0),
    /** The model's context window, in tokens. */
    window: z.number().int().positive(),
    outputsShortened: z.number().int().min(0),
    stepsSummarised: z.number().int().min(0),
    retried: z.boolean().optional(),
  }),
  /**
   * Which credential the task's work uses with a forge or a model provider: its creator's own, or
   * its workspace's (an admin connected it for every member). `account` is the forge account's
   * login or the key's hint, never the secret. A model key the server holds is not reported.
   */
  z.object({
    type: z.literal('credential.used'),
    kind: z.enum(['forge', 'model']),
    provider: z.string(),
    owner: z.enum(['creator', 'workspace']),
    account: z.string(),
  }),
  /**
   * A deployment of the task's work on Vercel changed state (`deploymentId` is Lucid's): queued,
   * building, ready (with its URL: the preview to open), failed (with Vercel's message), or
   * promoted to production. `target` says which it is.
   */
  z.object({
    type: z.literal('deployment.state'),
    deploymentId: z.string(),
    target: z.enum(['preview', 'production']),
    state: z.string(),
    url: z.string().nullable(),
    message: z.string().optional(),
  }),
  /** A line of a deployment's build output, as Vercel sent it. */
  z.object({
    type: z.literal('deployment.log'),
    deploymentId: z.string(),
    stream: z.enum(['command', 'stdout', 'stderr']),
    text: z.string(),
  }),
  /**
   * A step of the gate to production: a member asked for a preview's promotion, an owner or admin
   * promoted it, or rolled production back. `by` is the person's name.
   */
  z.object({
    type: z.literal('deployment.gate'),
    deploymentId: z.string(),
    action: z.enum(['requested', 'promoted', 'rolled_back']),
    by: z.string(),
    url: z.string().nullable(),
  }),
  /** Tokens one model call used, and what they cost (0 for a model missing from the price table). */
  z.object({
    type: z.literal('usage'),
    model: z.string(),
    inputTokens: z.number().int().min(0),
    outputTokens: z.number().int().min(0),
    cachedInputTokens: z.number().int().min(0).optional(),
    /** The part of the input written to the provider's cache (priced above plain input). */
    cacheWriteTokens: z.number().int().min(0).optional(),
    costUsd: z.number().min(0),
  }),
  /**
   * The repository's check command (its `checkCommand`, e.g. `npm test`) run in the task's
   * workspace after an agent run: its exit code (null when it was killed), whether it passed, how
   * long it took and the end of its output (masked like every event).
   */
  z.object({
    type: z.literal('check.result'),
    command: z.string(),
    exitCode: z.number().int().nullable(),
    passed: z.boolean(),
    durationMs: z.number().int().min(0),
    outputTail: z.string(),
  }),
  /** The planner's plan, from its run on `model` (the plan model). */
  z.object({ type: z.literal('plan.proposed'), plan: Plan, model: z.string(), runId: z.string() }),
  /** The plan the coding run follows: as proposed or edited; `by` a person's name, or `auto`. */
  z.object({
    type: z.literal('plan.approved'),
    plan: Plan,
    edited: z.boolean(),
    by: z.string(),
  }),
  /** The plan was refused with a note: no coding run; a retry plans again with the note. */
  z.object({ type: z.literal('plan.rejected'), note: z.string(), by: z.string() }),
  /** The coding run finished step `index` (from 0) of the approved plan. */
  z.object({ type: z.literal('plan.step'), index: z.number().int().min(0), done: z.literal(true) }),
  /** One check run on the task's work before a push left Lucid: passed or blocked, and why. */
  SafetyCheckBody,
  /** Findings of the secret scan a member allowed once as false positives. */
  SafetyAllowedBody,
]);
export type EventBody = z.infer<typeof EventBody>;
export type EventType = EventBody['type'];

/** A stored event: its body plus where it stands in the task's history. */
export const TaskEvent = z
  .intersection(
    z.object({
      taskId: z.string(),
      seq: z.number().int().positive(),
      runId: z.string().nullable(),
      at: Timestamp,
    }),
    EventBody,
  )
  .meta({ id: 'TaskEvent' });
export type TaskEvent = z.infer<typeof TaskEvent>;
