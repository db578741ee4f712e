/**
 * @module vercel/preview
 * A task's preview on Vercel. When a task's pull request is opened or gets new commits (or, for a
 * repository without a forge, its run succeeded having pushed its branch), and its repository is
 * linked to a Vercel project, a deployment row is stored with the durable job that makes it
 * (`vercel.preview`): the commit is deployed as a preview, from its git source when the project is
 * built from the same GitHub repository, otherwise by uploading the commit's files. A follow-up job
 * (`vercel.follow`, stored again every VERCEL_POLL_MS while the build goes on) writes each state
 * and build line to the task's timeline; once ready, the preview's URL is in the chat, commented on
 * the pull or merge request and set in the Notion page's preview property when the task came from one.
 * Nothing here deploys to production: a preview carries no `target`.
 */
import { createHash } from 'node:crypto';
import { and, desc, eq, inArray, notInArray } from 'drizzle-orm';
import type { EventBody } from '@lucid/contracts';
import type { NotionConfig } from '../config.ts';
import type { Db } from '../db/client.ts';
import {
  events as eventLog,
  repositories,
  tasks,
  vercelConnections,
  vercelDeployments,
  vercelLinks,
} from '../db/schema.ts';
import { forgeSession, upstreamOf, type PublishContext } from '../forges/upstream.ts';
import { bareRepoPath } from '../git/bare-repo.ts';
import { runGit } from '../git/run-git.ts';
import { readBlob } from '../git/tree-read.ts';
import { newId } from '../ids.ts';
import { enqueueJob } from '../jobs/store.ts';
import { JobFailed, type JobHandler } from '../jobs/worker.ts';
import { writeNotionPreview } from './notion-preview.ts';
import { appendEvents } from '../tasks/events.ts';
import { VercelApiError, vercelFailure, type DeploymentSource } from './client.ts';
import { vercelApiOf, type VercelContext } from './connections.ts';

/** The kind of the job that creates a preview deployment. */
export const PREVIEW_JOB = 'vercel.preview';
/** The kind of the job that looks at a deployment under way and tells the task what changed. */
export const FOLLOW_JOB = 'vercel.follow';

/** What previews need: Vercel, the bare repos and forges (publishing's context), and Notion. */
export interface PreviewContext extends VercelContext {
  publishing: PublishContext;
  notion: NotionConfig;
}

export type DeploymentRow = typeof vercelDeployments.$inferSelect;

/** States after which a deployment does not change. */
export const FINAL_STATES = new Set(['READY', 'ERROR', 'CANCELED']);

/** At most this many files of a commit are uploaded, and this many bytes in all. */
const MAX_FILES = 5_000;
const MAX_BYTES = 100 * 1024 * 1024;

/**
 * Stores a preview deployment of `sha` for the task, and the job making it, when the task's
 * repository is linked to a Vercel project and no preview of that commit is under way or ready
 * (`again` stores one anyway: a retry). Call it inside the transaction of the change that asks.
 *
 * @example
 * events.within('pr.opened', (e, tx) => enqueuePreview(tx, { taskId: e.taskId, runId: e.runId, sha: e.sha }));
 */
export async function enqueuePreview(
  db: Db,
  {
    taskId,
    runId,
    sha,
    requestedBy = null,
    again = false,
  }: {
    taskId: string;
    runId: string | null;
    sha: string;
    requestedBy?: string | null;
    again?: boolean;
  },
): Promise<DeploymentRow | null> {
  const [found] = await db
    .select({ link: vercelLinks, repoId: tasks.repoId })
    .from(tasks)
    .innerJoin(vercelLinks, eq(vercelLinks.repoId, tasks.repoId))
    .where(eq(tasks.id, taskId));
  if (!found) return null;
  if (!again) {
    const [existing] = await db
      .select()
      .from(vercelDeployments)
      .where(
        and(
          eq(vercelDeployments.taskId, taskId),
          eq(vercelDeployments.commitSha, sha),
          eq(vercelDeployments.target, 'preview'),
          notInArray(vercelDeployments.state, ['ERROR', 'CANCELED']),
        ),
      );
    if (existing) return existing;
  }
  const [row] = await db
    .insert(vercelDeployments)
    .values({
      id: newId('dep'),
      taskId,
      repoId: found.repoId,
      projectId: found.link.projectId,
      commitSha: sha,
      state: 'QUEUED',
      target: 'preview',
      requestedBy,
      requestedAt: requestedBy ? new Date() : null,
    })
    .returning();
  if (!row) return null;
  await appendEvents(db, {
    taskId,
    runId,
    events: [{ ...stateEvent(row), message: `Deploying ${sha.slice(0, 7)} to Vercel` }],
  });
  await enqueueJob(db, {
    kind: PREVIEW_JOB,
    key: row.id,
    taskId,
    payload: { deploymentId: row.id, runId },
  });
  return row;
}

/**
 * For a repository without a forge: stores the preview of the commit a succeeded run pushed to the
 * task's branch (a repository with an upstream is previewed when its pull request opens).
 */
export async function enqueueLocalPreview(
  db: Db,
  { runId, taskId }: { runId: string; taskId: string },
): Promise<void> {
  const [task] = await db
    .select({
      branch: tasks.branch,
      provider: repositories.provider,
      upstream: repositories.upstreamFullName,
    })
    .from(tasks)
    .innerJoin(repositories, eq(repositories.id, tasks.repoId))
    .where(eq(tasks.id, taskId));
  if (!task || (task.provider !== 'local' && task.upstream)) return;
  const pushes = await db
    .select({ payload: eventLog.payload })
    .from(eventLog)
    .where(and(eq(eventLog.runId, runId), eq(eventLog.type, 'git.push')))
    .orderBy(desc(eventLog.seq));
  const push = pushes
    .map((p) => p.payload as { branch?: string; sha?: string })
    .find((p) => p.branch === task.branch && p.sha);
  if (!push?.sha) return;
  await enqueuePreview(db, { taskId, runId, sha: push.sha });
}

/** The `deployment.state` event of a row as it stands. */
export function stateEvent(row: DeploymentRow): Extract<EventBody, { type: 'deployment.state' }> {
  return {
    type: 'deployment.state',
    deploymentId: row.id,
    target: row.target,
    state: row.state,
    url: row.url,
    ...(row.errorMessage ? { message: row.errorMessage } : {}),
  };
}

async function loadRow(db: Db, id: unknown): Promise<DeploymentRow | null> {
  if (typeof id !== 'string') return null;
  const [row] = await db.select().from(vercelDeployments).where(eq(vercelDeployments.id, id));
  return row ?? null;
}

async function connectionOfProject(db: Db, row: DeploymentRow) {
  const [found] = await db
    .select({ link: vercelLinks, connection: vercelConnections })
    .from(vercelLinks)
    .innerJoin(vercelConnections, eq(vercelConnections.id, vercelLinks.connectionId))
    .where(eq(vercelLinks.repoId, row.repoId));
  return found ?? null;
}

/** Records a deployment's failure on its row and the task's timeline. */
async function recordFailure(
  db: Db,
  row: DeploymentRow,
  runId: string | null,
  message: string,
): Promise<void> {
  const [failed] = await db
    .update(vercelDeployments)
    .set({ state: 'ERROR', errorMessage: message, updatedAt: new Date() })
    .where(eq(vercelDeployments.id, row.id))
    .returning();
  if (failed) await appendEvents(db, { taskId: row.taskId, runId, events: [stateEvent(failed)] });
}

/** The files of a commit as Vercel takes them: path, content and its SHA-1. */
async function commitFiles(
  repoPath: string,
  sha: string,
): Promise<{ file: string; sha: string; content: Buffer }[]> {
  const listing = await runGit(['ls-tree', '-r', '-z', '--long', '--end-of-options', sha], {
    cwd: repoPath,
  });
  const entries = listing
    .split('\0')
    .filter(Boolean)
    .flatMap((line) => {
      const tab = line.indexOf('\t');
      const [mode, type, , size] = line.slice(0, tab).trim().split(/\s+/);
      // Blobs only: no symbolic links (mode 120000), no submodules.
      if (type !== 'blob' || mode === '120000') return [];
      return [{ path: line.slice(tab + 1), size: Number(size) }];
    });
  if (entries.length > MAX_FILES) {
    throw new JobFailed(
      `The commit has ${entries.length} files; Lucid uploads ${MAX_FILES} at most.`,
    );
  }
  const total = entries.reduce((sum, e) => sum + e.size, 0);
  if (total > MAX_BYTES) {
    throw new JobFailed('The commit’s files weigh more than the 100 MB Lucid uploads to Vercel.');
  }
  const files: { file: string; sha: string; content: Buffer }[] = [];
  for (const entry of entries) {
    const { content } = await readBlob(repoPath, sha, entry.path, entry.size + 1);
    files.push({
      file: entry.path,
      sha: createHash('sha1').update(content).digest('hex'),
      content,
    });
  }
  return files;
}

/** True for a failure Vercel may get over: unreachable, 5xx, rate-limited. */
function passing(error: unknown): boolean {
  if (error instanceof VercelApiError)
    return error.status === 0 || error.status === 429 || error.status >= 500;
  return !(error instanceof JobFailed);
}

/**
 * The handler of {@link PREVIEW_JOB}: creates the preview deployment of the row's commit (from the
 * project's GitHub repository when it is the task's upstream, else from the commit's files),
 * records Vercel's id, URL and state, and stores the job following it.
 *
 * @example
 * new JobWorker({ db, handlers: { [PREVIEW_JOB]: previewJob(ctx) }, log });
 */
export function previewJob(ctx: PreviewContext): JobHandler {
  return async ({ job, last }) => {
    const row = await loadRow(ctx.db, job.payload.deploymentId);
    const runId = typeof job.payload.runId === 'string' ? job.payload.runId : null;
    if (!row || FINAL_STATES.has(row.state)) return;
    if (row.vercelId) {
      await enqueueFollow(ctx, row, runId, 1);
      return;
    }
    const found = await connectionOfProject(ctx.db, row);
    if (!found) {
      await recordFailure(
        ctx.db,
        row,
        runId,
        'The repository is no longer linked to a Vercel project.',
      );
      return;
    }
    const [task] = await ctx.db.select().from(tasks).where(eq(tasks.id, row.taskId));
    const [repo] = await ctx.db.select().from(repositories).where(eq(repositories.id, row.repoId));
    if (!task || !repo) return;
    try {
      const api = vercelApiOf(ctx, found.connection);
      const { link } = found;
      const fromGit =
        link.gitProvider === 'github' &&
        repo.provider === 'github' &&
        link.gitRepo !== null &&
        repo.upstreamFullName?.toLowerCase() === link.gitRepo.toLowerCase();
      let source: DeploymentSource;
      if (fromGit && link.gitRepo) {
        const [org = '', name = ''] = link.gitRepo.split('/');
        source = {
          gitSource: { type: 'github', org, repo: name, ref: task.branch, sha: row.commitSha },
        };
      } else {
        const files = await commitFiles(
          bareRepoPath(ctx.publishing.gitRoot, repo.id),
          row.commitSha,
        );
        for (const file of files) await api.uploadFile(file.content, file.sha);
        source = {
          files: files.map((f) => ({ file: f.file, sha: f.sha, size: f.content.length })),
        };
      }
      const created = await api.createPreview({
        project: link.projectId,
        source,
        meta: { lucidTaskId: task.id, lucidCommitSha: row.commitSha, lucidBranch: task.branch },
      });
      const [updated] = await ctx.db
        .update(vercelDeployments)
        .set({
          vercelId: created.id,
          url: created.url,
          state: created.readyState,
          updatedAt: new Date(),
        })
        .where(eq(vercelDeployments.id, row.id))
        .returning();
      if (!updated) return;
      if (updated.state !== row.state) {
        await appendEvents(ctx.db, { taskId: row.taskId, runId, events: [stateEvent(updated)] });
      }
      await enqueueFollow(ctx, updated, runId, 1);
    } catch (error) {
      if (!last && passing(error)) throw error;
      const message = error instanceof JobFailed ? error.message : vercelFailure(error).message;
      await recordFailure(ctx.db, row, runId, message);
      throw new JobFailed(message);
    }
  };
}

async function enqueueFollow(
  ctx: PreviewContext,
  row: DeploymentRow,
  runId: string | null,
  look: number,
): Promise<void> {
  await enqueueJob(ctx.db, {
    kind: FOLLOW_JOB,
    key: `${row.id}:${look}`,
    taskId: row.taskId,
    payload: { deploymentId: row.id, runId, look },
    runAt: new Date(Date.now() + ctx.vercel.pollMs),
  });
}

/**
 * The handler of {@link FOLLOW_JOB}: reads the deployment's state and its build lines since the
 * last look, writes them to the task's timeline, and looks again later until the build ends; a
 * preview that is ready is announced (chat, pull request, Notion).
 *
 * @example
 * new JobWorker({ db, handlers: { [FOLLOW_JOB]: followJob(ctx) }, log });
 */
export function followJob(ctx: PreviewContext): JobHandler {
  return async ({ job }) => {
    const row = await loadRow(ctx.db, job.payload.deploymentId);
    const runId = typeof job.payload.runId === 'string' ? job.payload.runId : null;
    const look = typeof job.payload.look === 'number' ? job.payload.look : 1;
    if (!row?.vercelId || FINAL_STATES.has(row.state)) return;
    const found = await connectionOfProject(ctx.db, row);
    if (!found) return;
    const api = vercelApiOf(ctx, found.connection);
    const deployment = await api.deployment(row.vercelId);
    const lines = await api.events(row.vercelId, row.eventsSince);
    const logs: EventBody[] = lines.map((line) => ({
      type: 'deployment.log',
      deploymentId: row.id,
      stream: line.type,
      text: line.text.slice(0, 4_000),
    }));
    const state = deployment.readyState;
    const errorMessage =
      state === 'ERROR'
        ? (deployment.errorMessage ??
          lines.findLast((l) => l.type === 'stderr')?.text ??
          'The build failed.')
        : null;
    const updated = await ctx.db.transaction(async (tx) => {
      const [next] = await tx
        .update(vercelDeployments)
        .set({
          state,
          url: deployment.url,
          errorMessage,
          eventsSince:
            lines.reduce((most, l) => Math.max(most, l.created), row.eventsSince ?? 0) || null,
          updatedAt: new Date(),
        })
        .where(eq(vercelDeployments.id, row.id))
        .returning();
      if (!next) return null;
      const told = next.state !== row.state ? [stateEvent(next)] : [];
      await appendEvents(tx, { taskId: row.taskId, runId, events: [...logs, ...told] });
      return next;
    });
    if (!updated) return;
    if (!FINAL_STATES.has(updated.state)) {
      await enqueueFollow(ctx, updated, runId, look + 1);
      return;
    }
    if (updated.state === 'READY' && updated.url) await announce(ctx, updated, runId);
  };
}

/**
 * Tells where the preview is, besides the chat: a comment on the task's pull request (GitHub) or
 * merge request (GitLab), and the Notion page's preview property.
 * A failure is an `error` event on the task: the preview stays ready.
 */
async function announce(
  ctx: PreviewContext,
  row: DeploymentRow,
  runId: string | null,
): Promise<void> {
  const url = row.url ?? '';
  const [task] = await ctx.db.select().from(tasks).where(eq(tasks.id, row.taskId));
  const [repo] = await ctx.db.select().from(repositories).where(eq(repositories.id, row.repoId));
  if (!task || !repo) return;
  const problems: EventBody[] = [];
  const upstream = upstreamOf(repo, task.createdBy);
  if (upstream && task.prNumber) {
    const request =
      upstream.provider === 'gitlab'
        ? `merge request !${task.prNumber}`
        : `pull request #${task.prNumber}`;
    try {
      const { token, forge } = await forgeSession(ctx.publishing, upstream);
      await forge.commentOnPullRequest(token, {
        repo: upstream.fullName,
        number: task.prNumber,
        body: `Lucid deployed a preview of ${row.commitSha.slice(0, 7)} on Vercel: ${url}`,
      });
    } catch (error) {
      problems.push({
        type: 'error',
        code: 'forge_error',
        message: `The preview's link could not be posted on ${request}: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  try {
    await writeNotionPreview(ctx, { taskId: task.id, url });
  } catch (error) {
    problems.push({
      type: 'error',
      code: 'notion_error',
      message: `The preview's link could not be set on the Notion page: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
  await appendEvents(ctx.db, { taskId: task.id, runId, events: problems });
}

/** A task's deployments, newest first. */
export async function deploymentRows(db: Db, taskIds: string[]): Promise<DeploymentRow[]> {
  if (taskIds.length === 0) return [];
  return db
    .select()
    .from(vercelDeployments)
    .where(inArray(vercelDeployments.taskId, taskIds))
    .orderBy(desc(vercelDeployments.createdAt));
}
