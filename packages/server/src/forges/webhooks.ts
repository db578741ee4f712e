/**
 * @module forges/webhooks
 * Forges' webhook deliveries, each to the address of one repository
 * (`/api/webhooks/<provider>/<repo id>`). A delivery is verified against that repository's own
 * secret (GitHub's HMAC signature, GitLab's token) on the raw body, recorded once by its delivery
 * id for that repository (a replay does nothing), then read: an issue labelled `lucid`, or an
 * issue comment mentioning `@lucid`, on that repository's upstream starts a task on it, acting as
 * its upstream user, with the issue as its external reference (its request's link is commented
 * back when it opens). A payload naming another upstream is ignored and audited; anything else is
 * acknowledged and ignored. A pull or merge request merged on the forge marks the task that opened
 * it done, whoever merged it and wherever.
 *
 * Only someone who may write to the repository on the forge can ask: the requester (the commenter,
 * or whoever applied the label) is checked with the upstream user's token before anything happens.
 * A requester without write access is ignored without a word on the forge, and audited.
 */
import { and, eq } from 'drizzle-orm';
import { recordAudit } from '../audit/audit.ts';
import type { ForgeProvider, WebhookAnswer } from '@lucid/contracts';
import type { LlmConfig, WorkspaceQuotaDefaults } from '../config.ts';
import { repositories, tasks, webhookDeliveries } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { STATUS_WORDS, transitionTaskIfAllowed } from '../tasks/lifecycle.ts';
import { createTask } from '../tasks/tasks.ts';
import type { ForgeWebhookEvent } from './forge.ts';
import { providerName, withForgeToken, type ForgeContext } from './connections.ts';
import { syncMirror } from './mirror.ts';
import { forgeFor } from './registry.ts';
import { openWebhookSecret } from './webhook-secrets.ts';

/** What handling deliveries needs: the forges' settings, and what creating a task needs. */
export interface WebhookContext extends ForgeContext {
  gitRoot: string;
  publicUrl: string;
  llm: LlmConfig;
  /** The server's default workspace quotas: a task over them is refused like any other. */
  quotas: WorkspaceQuotaDefaults;
}

/** Headers as Fastify gives them, lower-cased, each as one string. */
function flatHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The prompt of a task asked for by an issue (and the comment that asked, if one did). */
export function issuePrompt(input: {
  repoFullName: string;
  issue: number;
  title: string;
  body: string;
  comment: string | null;
  sender: string;
}): string {
  const parts = [
    `Work on issue #${input.issue} of ${input.repoFullName}: ${input.title.trim()}`,
    input.body.trim() ? input.body.trim() : '(The issue has no description.)',
  ];
  if (input.comment?.trim()) {
    parts.push(`${input.sender} asked, in a comment on the issue:\n\n${input.comment.trim()}`);
  }
  return parts.join('\n\n');
}

/**
 * Handles one delivery to a repository's webhook address: `invalid_signature` unless a repository
 * of the provider has that id and the delivery is signed with its secret (one answer whether the
 * repository is missing, of another forge, has no secret yet or one sealed under another key).
 *
 * @example
 * await handleWebhook(ctx, { provider: 'github', repoId: 'repo_x', headers: request.headers, rawBody });
 * // → { status: 'created', taskId: 'task_…' }
 */
export async function handleWebhook(
  ctx: WebhookContext,
  {
    provider,
    repoId,
    headers: rawHeaders,
    rawBody,
  }: {
    provider: ForgeProvider;
    repoId: string;
    headers: Record<string, string | string[] | undefined>;
    rawBody: Buffer;
  },
): Promise<WebhookAnswer> {
  const name = providerName(provider);
  const [repo] = await ctx.db
    .select()
    .from(repositories)
    .where(and(eq(repositories.id, repoId), eq(repositories.provider, provider)));
  const secret = repo ? openWebhookSecret(ctx.encryptionKey, repo.sealedWebhookSecret) : null;
  const forge = forgeFor(ctx.forges, provider);
  const headers = flatHeaders(rawHeaders);
  // One answer for every delivery Lucid cannot authenticate, so an address tells a stranger
  // nothing: whether its repository exists, is of this forge or has a secret yet.
  if (!repo || !secret || !forge.verifyWebhook({ headers, rawBody, secret })) {
    throw new AppError(
      'invalid_signature',
      `The delivery is not signed with the webhook secret of a ${name} repository at this address: ` +
        `copy the payload URL and the secret from the repository's page in Lucid into the webhook on ${name} ` +
        '(an admin of its workspace can make a new secret there).',
    );
  }
  let payload: unknown;
  try {
    payload = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new AppError(
      'bad_request',
      `The delivery's body is not JSON: set the webhook's content type to application/json.`,
    );
  }
  const event = forge.parseWebhook({ headers, payload });
  // Recorded per repository: one forge event reaches the webhook of every repository mirroring
  // its upstream, and a GitLab older than 17.4 gives all of them the event's one UUID.
  const deliveryKey = `${repo.id}:${event.deliveryId}`;
  const [recorded] = await ctx.db
    .insert(webhookDeliveries)
    .values({ provider, deliveryId: deliveryKey, event: event.kind })
    .onConflictDoNothing()
    .returning({ deliveryId: webhookDeliveries.deliveryId });
  if (!recorded) return { status: 'duplicate' };
  if (event.kind === 'ignored') return { status: 'ignored', reason: event.reason };

  if (event.repoFullName.toLowerCase() !== (repo.upstreamFullName ?? '').toLowerCase()) {
    await recordAudit(ctx.db, {
      actor: { userId: null, ip: null },
      action: 'webhook.mismatch',
      targetType: 'repo',
      targetId: repo.id,
      workspaceId: repo.workspaceId,
      metadata: {
        provider,
        upstream: repo.upstreamFullName,
        named: event.repoFullName,
        ...(event.kind === 'issue_request'
          ? { issue: event.issue, requester: event.requester.login }
          : { request: event.number, merger: event.merger }),
      },
    });
    return {
      status: 'ignored',
      reason: `The delivery is about ${event.repoFullName}, but this is the webhook of ${repo.upstreamFullName ?? 'another repository'}: each repository has its own webhook address and secret.`,
    };
  }
  if (event.kind === 'request_merged') return markMerged(ctx, repo, event);
  if (!repo.upstreamUserId) {
    return {
      status: 'ignored',
      reason: `No one's ${name} account is linked to ${repo.name} on Lucid.`,
    };
  }
  try {
    const { requester } = event;
    const scope = { userId: repo.upstreamUserId, workspaceId: repo.workspaceId };
    const mayWrite = await withForgeToken(ctx, scope, provider, (token) =>
      forge.canWrite(token, {
        repo: event.repoFullName,
        login: requester.login,
        userId: requester.id,
      }),
    );
    if (!mayWrite) {
      await recordAudit(ctx.db, {
        actor: { userId: null, ip: null },
        action: 'webhook.refuse',
        targetType: 'repo',
        targetId: repo.id,
        workspaceId: repo.workspaceId,
        metadata: {
          provider,
          repo: event.repoFullName,
          issue: event.issue,
          requester: requester.login,
          requesterId: requester.id,
          association: requester.association,
          trigger: event.comment === null ? 'label' : 'comment',
        },
      });
      return {
        status: 'ignored',
        reason: `${requester.login} may not write to ${event.repoFullName}, so cannot ask Lucid for work.`,
      };
    }
    const { task } = await createTask(
      { db: ctx.db, gitRoot: ctx.gitRoot, publicUrl: ctx.publicUrl },
      {
        actor: { userId: repo.upstreamUserId, tokenId: null, ip: null },
        input: {
          repoId: repo.id,
          title: event.title.trim().slice(0, 200) || undefined,
          prompt: issuePrompt(event),
          source: 'webhook',
        },
        providers: { db: ctx.db, llm: ctx.llm, encryptionKey: ctx.encryptionKey },
        quotas: ctx.quotas,
        syncUpstream: async (repoId, userId) => {
          await syncMirror(ctx, repoId, { userId });
        },
      },
    );
    await ctx.db
      .update(tasks)
      .set({
        externalRef: { provider, repo: event.repoFullName, issue: event.issue },
      })
      .where(eq(tasks.id, task.id));
    return { status: 'created', taskId: task.id };
  } catch (error) {
    // Not handled (the requester could not be checked, or the task not created): let the
    // forge's redelivery try again.
    await ctx.db
      .delete(webhookDeliveries)
      .where(
        and(
          eq(webhookDeliveries.provider, provider),
          eq(webhookDeliveries.deliveryId, deliveryKey),
        ),
      );
    throw error;
  }
}

/**
 * A request merged on the forge: the task that opened it is done (from review, or awaiting its
 * merge). A merge Lucid made itself on approval arrives when the task is done already, and is
 * ignored like a request no task opened.
 */
async function markMerged(
  ctx: WebhookContext,
  repo: typeof repositories.$inferSelect,
  event: Extract<ForgeWebhookEvent, { kind: 'request_merged' }>,
): Promise<WebhookAnswer> {
  const name = providerName(repo.provider as ForgeProvider);
  const noun = repo.provider === 'gitlab' ? 'merge request' : 'pull request';
  const [task] = await ctx.db
    .select()
    .from(tasks)
    .where(and(eq(tasks.repoId, repo.id), eq(tasks.prNumber, event.number)));
  if (!task) {
    return {
      status: 'ignored',
      reason: `No task of ${repo.name} opened ${noun} ${event.number}.`,
    };
  }
  const moved = await transitionTaskIfAllowed(ctx.db, {
    taskId: task.id,
    action: 'done',
    reason: `${event.merger} merged ${noun} ${event.number} on ${name}.`,
    bodies: event.mergeSha
      ? [{ type: 'git.merge', branch: task.branch, into: task.baseBranch, sha: event.mergeSha }]
      : [],
  });
  if (!moved) {
    return {
      status: 'ignored',
      reason: `“${task.title}” is ${STATUS_WORDS[task.status]}: a merge of its ${noun} changes nothing.`,
    };
  }
  return { status: 'updated', taskId: task.id };
}
