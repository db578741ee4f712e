/**
 * @module notion/write-back
 * A task started from a Notion page moves its page along: when a run is queued the page goes to
 * the mapping's "in progress" option with a comment linking the task; in review to "in review"
 * with a comment naming the branch (or, once a pull request is opened, its link in the mapping's
 * PR property and in a comment); done to "done"; failed to "failed" with the reason as a comment.
 *
 * Each write is a durable job stored with the change that asks for it (only for a task linked to
 * a page), retried while Notion may get over it (429, 5xx), never a call in a route. A job's steps
 * are recorded in its payload as they land, and a comment whose answer was lost is looked for on
 * the page before it is posted again: a retry writes nothing twice. Each write is told on the
 * task (`notion.updated`), each retry too (`notion.pending`); a token Notion refuses ends the job
 * at once with the task's error line and marks the connection as needing a reconnect.
 */
import { and, desc, eq } from 'drizzle-orm';
import type { NotionStatusOptions } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { events, notionConnections, repositories, taskNotionLinks, tasks } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import { enqueueJob, saveJobPayload } from '../jobs/store.ts';
import { JobFailed, type JobAttempt, type JobHandler } from '../jobs/worker.ts';
import { maskSecrets } from '../secrets/masking.ts';
import { appendEvents } from '../tasks/events.ts';
import { notionClient, notionCode, notionFailure } from './client.ts';
import { markNotionRefused, openNotionToken, type NotionContext } from './connections.ts';
import { mappingOf } from './databases.ts';
import { plainText, type NotionList, type NotionPage, type RichText } from './wire.ts';

/** The kind of the job that writes a task's stage to its Notion page. */
export const NOTION_STATUS_JOB = 'notion.status';

/** A stage of a task, as the mapping names its option. */
export type NotionStage = keyof NotionStatusOptions;

/** The task's error line when Notion refuses the connection's token. */
export const NOTION_REFUSED_MESSAGE =
  "Notion refused Lucid's token: reconnect in Settings → Integrations.";

/** The longest failure reason a comment carries. */
const MAX_REASON = 300;

/**
 * Stores the job writing `stage` to the task's Notion page, when the task came from one; call it
 * inside the transaction of the change. `key` names the change (a run, a pull request) so asking
 * twice for the same one stores one job; without it each call stores its own.
 *
 * @example
 * events.within('task.in_review', (e, tx) => enqueueNotionStatus(tx, { taskId: e.taskId, stage: 'inReview' }));
 */
export async function enqueueNotionStatus(
  db: Db,
  {
    taskId,
    stage,
    key,
    prUrl,
  }: {
    taskId: string;
    stage: NotionStage;
    key?: string;
    /** The pull request just opened, when that is the change: its link is written and commented. */
    prUrl?: string;
  },
): Promise<void> {
  const [link] = await db
    .select({ taskId: taskNotionLinks.taskId })
    .from(taskNotionLinks)
    .where(eq(taskNotionLinks.taskId, taskId));
  if (!link) return;
  await enqueueJob(db, {
    kind: NOTION_STATUS_JOB,
    key: key ? `${taskId}:${stage}:${key}` : newId('nwb'),
    taskId,
    payload: { stage, ...(prUrl ? { prUrl } : {}) },
  });
}

/** What a job has done so far, kept in its payload. */
interface Progress {
  stage?: NotionStage;
  /** The pull request whose opening asked for the job. */
  prUrl?: string;
  /** The page's properties were written. */
  written?: boolean;
  /** A comment was sent (its answer may have been lost). */
  commentSent?: boolean;
  /** The comment is on the page. */
  commented?: boolean;
}

/** Notion failures retrying cannot mend: a page gone, a request Notion refuses. */
const FINAL = new Set(['invalid_notion_token', 'not_found', 'bad_request']);

/**
 * The handler of {@link NOTION_STATUS_JOB}: sets the page's status property to the mapping's
 * option for the stage (and, once a pull request is open, its PR-link property), posts the
 * stage's comment, records the status on the link and tells the task. A connection since removed
 * leaves the page as it is.
 *
 * @example
 * new JobWorker({ db, handlers: { [NOTION_STATUS_JOB]: notionStatusJob(ctx) }, log });
 */
export function notionStatusJob(ctx: NotionContext): JobHandler {
  return async (attempt) => {
    const { job } = attempt;
    const progress = { ...(job.payload as Progress) };
    const stage = progress.stage;
    if (!job.taskId || !stage) return;
    const [row] = await ctx.db
      .select({
        link: taskNotionLinks,
        connection: notionConnections,
        task: tasks,
        repo: repositories,
      })
      .from(taskNotionLinks)
      .innerJoin(tasks, eq(tasks.id, taskNotionLinks.taskId))
      .innerJoin(repositories, eq(repositories.id, tasks.repoId))
      .leftJoin(notionConnections, eq(notionConnections.id, taskNotionLinks.connectionId))
      .where(eq(taskNotionLinks.taskId, job.taskId));
    if (!row?.connection) return;
    const { link, connection, task, repo } = row;
    const mapping = await mappingOf(ctx, connection.id, link.databaseId);
    const option = mapping?.statusProperty ? mapping.statusOptions[stage] : undefined;
    const prLink =
      stage === 'inReview' && mapping?.prLinkProperty && task.prUrl ? task.prUrl : null;
    const hasForge = repo.provider !== 'local' && repo.upstreamFullName !== null;
    let token = '';
    try {
      token = openNotionToken(ctx, connection);
      const comment = await commentFor(ctx, {
        stage,
        task,
        prUrl: progress.prUrl ?? null,
        hasForge,
        token,
      });
      const client = notionClient(ctx.notion, token);
      const save = async (done: Progress) => {
        Object.assign(progress, done);
        await saveJobPayload(ctx.db, {
          claim: job,
          payload: { ...job.payload, ...progress },
        });
      };
      if (!progress.written && (option || prLink)) {
        const page = await client.request<NotionPage>({
          path: `pages/${link.pageId}`,
          method: 'get',
        });
        const properties: Record<string, unknown> = {};
        if (option && mapping?.statusProperty) {
          const kind =
            page.properties[mapping.statusProperty]?.type === 'select' ? 'select' : 'status';
          properties[mapping.statusProperty] = { [kind]: { name: option } };
        }
        if (prLink && mapping?.prLinkProperty) {
          properties[mapping.prLinkProperty] =
            page.properties[mapping.prLinkProperty]?.type === 'rich_text'
              ? { rich_text: [{ type: 'text', text: { content: prLink, link: { url: prLink } } }] }
              : { url: prLink };
        }
        await client.request({
          path: `pages/${link.pageId}`,
          method: 'patch',
          body: { properties },
        });
        await save({ written: true });
      }
      if (comment && !progress.commented) {
        const landed =
          progress.commentSent && (await hasComment(client, link.pageId, comment.text));
        if (!landed) {
          await save({ commentSent: true });
          await client.request({
            path: 'comments',
            method: 'post',
            body: { parent: { page_id: link.pageId }, rich_text: comment.richText },
          });
        }
        await save({ commented: true });
      }
      if (option) {
        await ctx.db
          .update(taskNotionLinks)
          .set({ status: option })
          .where(eq(taskNotionLinks.taskId, task.id));
      }
      if (option || prLink || comment) {
        await appendEvents(ctx.db, {
          taskId: task.id,
          runId: null,
          events: [
            {
              type: 'notion.updated',
              stage,
              option: option ?? null,
              prLink,
              comment: comment !== null,
              pageUrl: link.url,
            },
          ],
        });
      }
    } catch (error) {
      await recordFailure(ctx, {
        attempt,
        taskId: task.id,
        connectionId: connection.id,
        error,
        token,
      });
    }
  };
}

/** A comment: its text, and the rich text Notion is sent (links as links). */
interface Comment {
  text: string;
  richText: { type: 'text'; text: { content: string; link: { url: string } | null } }[];
}

function comment(...parts: (string | { link: string })[]): Comment {
  const richText = parts.map((part) =>
    typeof part === 'string'
      ? { type: 'text' as const, text: { content: part, link: null } }
      : { type: 'text' as const, text: { content: part.link, link: { url: part.link } } },
  );
  return { text: richText.map((t) => t.text.content).join(''), richText };
}

/**
 * The stage's comment, or null: started (with the task's link), in review (the link of the pull
 * request just opened; the branch when the repository has no forge; nothing when a forge's
 * request says it), done, failed (with the failure's reason, masked and short).
 */
async function commentFor(
  ctx: NotionContext,
  {
    stage,
    task,
    prUrl,
    hasForge,
    token,
  }: {
    stage: NotionStage;
    task: typeof tasks.$inferSelect;
    prUrl: string | null;
    hasForge: boolean;
    token: string;
  },
): Promise<Comment | null> {
  const taskUrl = `${ctx.publicUrl}/tasks/${task.id}`;
  switch (stage) {
    case 'inProgress':
      return comment('Lucid started: ', { link: taskUrl });
    case 'inReview':
      if (prUrl) return comment('Lucid opened a pull request for review: ', { link: prUrl });
      if (hasForge) return null;
      return comment(`Lucid's work is ready for review on branch ${task.branch}: `, {
        link: taskUrl,
      });
    case 'done':
      return comment("Lucid's work was approved and merged: ", { link: taskUrl });
    case 'failed': {
      const reason = await failureReason(ctx.db, task.id, token);
      return comment(`Lucid failed: ${reason} `, { link: taskUrl });
    }
    default:
      return null;
  }
}

/** Why the task last failed, masked and cut short; a plain sentence when nothing says. */
async function failureReason(db: Db, taskId: string, token: string): Promise<string> {
  const [last] = await db
    .select({ payload: events.payload })
    .from(events)
    .where(and(eq(events.taskId, taskId), eq(events.type, 'task.status')))
    .orderBy(desc(events.seq))
    .limit(1);
  const reason = (last?.payload as { reason?: string } | undefined)?.reason?.trim();
  if (!reason) return 'the run ended without success.';
  const masked = maskSecrets(reason.replace(/\s+/g, ' '), [token]);
  return masked.length > MAX_REASON ? `${masked.slice(0, MAX_REASON - 1)}…` : masked;
}

/** True when the page already carries a comment with this text (Notion's comments, paged). */
async function hasComment(
  client: ReturnType<typeof notionClient>,
  pageId: string,
  text: string,
): Promise<boolean> {
  let cursor: string | null = null;
  do {
    const query: Record<string, string> = { block_id: pageId, page_size: '100' };
    if (cursor) query.start_cursor = cursor;
    const list: NotionList<{ rich_text: RichText[] }> = await client.request({
      path: 'comments',
      method: 'get',
      query,
    });
    if (list.results.some((c) => plainText(c.rich_text) === text)) return true;
    cursor = list.has_more ? list.next_cursor : null;
  } while (cursor);
  return false;
}

/**
 * Tells the task why a write failed and decides what follows: a refused token ends the job with
 * the task's error line (the connection marked as needing a reconnect), another final failure
 * ends it with Notion's words, a passing one is a `notion.pending` line and a retry (the last
 * attempt's an error line).
 */
async function recordFailure(
  ctx: NotionContext,
  {
    attempt,
    taskId,
    connectionId,
    error,
    token,
  }: { attempt: JobAttempt; taskId: string; connectionId: string; error: unknown; token: string },
): Promise<never> {
  const code = notionCode(error);
  const failure = notionFailure(error);
  const refused =
    code === 'unauthorized' ||
    code === 'restricted_resource' ||
    (failure instanceof AppError && failure.code === 'invalid_notion_token');
  const tell = (body: Parameters<typeof appendEvents>[1]['events'][number]) =>
    appendEvents(ctx.db, { taskId, runId: null, events: [body] });
  if (refused) {
    await markNotionRefused(ctx.db, connectionId);
    await tell({ type: 'error', code: 'invalid_notion_token', message: NOTION_REFUSED_MESSAGE });
    throw new JobFailed(NOTION_REFUSED_MESSAGE);
  }
  const message = maskSecrets(
    failure instanceof Error ? failure.message : String(failure),
    token ? [token] : [],
  );
  const final = failure instanceof AppError && FINAL.has(failure.code);
  if (final || attempt.last) {
    await tell({
      type: 'error',
      code: failure instanceof AppError ? failure.code : 'notion_error',
      message: `The Notion page was not updated: ${message}`,
    });
    throw new JobFailed(message);
  }
  await tell({
    type: 'notion.pending',
    attempt: attempt.attempt,
    maxAttempts: attempt.maxAttempts,
    reason:
      failure instanceof AppError && failure.code === 'rate_limited'
        ? "Notion is limiting the rate of Lucid's requests"
        : message,
  });
  throw failure instanceof Error ? failure : new Error(message);
}
