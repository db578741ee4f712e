/**
 * @module notion/write-back
 * A task started from a Notion page moves its page along: when a run is queued the page goes to
 * the mapping's "in progress" option, in review to "in review" (with the PR link when the mapping
 * names its property and the task has one), done to "done" and failed to "failed". Each move is a
 * durable job stored with the change that asks for it (only for a task linked to a page), retried
 * while Notion may get over it, never a call in a route.
 */
import { eq } from 'drizzle-orm';
import type { NotionStatusOptions } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { notionConnections, taskNotionLinks, tasks } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import { enqueueJob } from '../jobs/store.ts';
import { JobFailed, type JobHandler } from '../jobs/worker.ts';
import { notionClient, notionFailure } from './client.ts';
import { openNotionToken, type NotionContext } from './connections.ts';
import { mappingOf } from './databases.ts';
import type { NotionPage } from './wire.ts';

/** The kind of the job that writes a task's stage to its Notion page. */
export const NOTION_STATUS_JOB = 'notion.status';

/** A stage of a task, as the mapping names its option. */
export type NotionStage = keyof NotionStatusOptions;

/**
 * Stores the job writing `stage` to the task's Notion page, when the task came from one; call it
 * inside the transaction of the change.
 *
 * @example
 * events.within('task.in_review', (e, tx) => enqueueNotionStatus(tx, { taskId: e.taskId, stage: 'inReview' }));
 */
export async function enqueueNotionStatus(
  db: Db,
  { taskId, stage }: { taskId: string; stage: NotionStage },
): Promise<void> {
  const [link] = await db
    .select({ taskId: taskNotionLinks.taskId })
    .from(taskNotionLinks)
    .where(eq(taskNotionLinks.taskId, taskId));
  if (!link) return;
  await enqueueJob(db, {
    kind: NOTION_STATUS_JOB,
    key: newId('nwb'),
    taskId,
    payload: { stage },
  });
}

/** Notion failures retrying cannot mend: a refused token, a page gone, a request Notion refuses. */
const FINAL = new Set(['invalid_notion_token', 'not_found', 'bad_request']);

/**
 * The handler of {@link NOTION_STATUS_JOB}: sets the page's status property to the mapping's
 * option for the stage (and, in review, its PR-link property to the task's pull request), then
 * records the status on the link. A mapping without that option, or a connection since removed,
 * leaves the page as it is.
 *
 * @example
 * new JobWorker({ db, handlers: { [NOTION_STATUS_JOB]: notionStatusJob(ctx) }, log });
 */
export function notionStatusJob(ctx: Omit<NotionContext, 'publicUrl'>): JobHandler {
  return async ({ job }) => {
    const stage = (job.payload as { stage?: NotionStage }).stage;
    if (!job.taskId || !stage) return;
    const [row] = await ctx.db
      .select({ link: taskNotionLinks, connection: notionConnections, prUrl: tasks.prUrl })
      .from(taskNotionLinks)
      .innerJoin(tasks, eq(tasks.id, taskNotionLinks.taskId))
      .leftJoin(notionConnections, eq(notionConnections.id, taskNotionLinks.connectionId))
      .where(eq(taskNotionLinks.taskId, job.taskId));
    if (!row?.connection) return;
    const { link, connection } = row;
    const mapping = await mappingOf({ ...ctx, publicUrl: '' }, connection.id, link.databaseId);
    const option = mapping?.statusProperty ? mapping.statusOptions[stage] : undefined;
    const prLink = stage === 'inReview' && mapping?.prLinkProperty && row.prUrl;
    if (!mapping || (!option && !prLink)) return;
    try {
      const client = notionClient(ctx.notion, openNotionToken(ctx, connection));
      const page = await client.request<NotionPage>({
        path: `pages/${link.pageId}`,
        method: 'get',
      });
      const properties: Record<string, unknown> = {};
      if (option && mapping.statusProperty) {
        const kind =
          page.properties[mapping.statusProperty]?.type === 'select' ? 'select' : 'status';
        properties[mapping.statusProperty] = { [kind]: { name: option } };
      }
      if (prLink && mapping.prLinkProperty) {
        properties[mapping.prLinkProperty] =
          page.properties[mapping.prLinkProperty]?.type === 'rich_text'
            ? { rich_text: [{ type: 'text', text: { content: prLink, link: { url: prLink } } }] }
            : { url: prLink };
      }
      await client.request({ path: `pages/${link.pageId}`, method: 'patch', body: { properties } });
    } catch (error) {
      const failure = notionFailure(error);
      if (failure instanceof AppError && FINAL.has(failure.code)) {
        throw new JobFailed(failure.message);
      }
      throw failure;
    }
    if (option) {
      await ctx.db
        .update(taskNotionLinks)
        .set({ status: option })
        .where(eq(taskNotionLinks.taskId, job.taskId));
    }
  };
}
