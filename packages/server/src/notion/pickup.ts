/**
 * @module notion/pickup
 * Automatic pickup: a mapping may start a task from each page of its database whose status becomes
 * its pickup option. A poller queries each such database (through the paced client, on either API
 * version) and starts every page it has not picked before, as the user who turned pickup on and
 * through the one way a task starts from a page. The pick is stored in the task's own transaction
 * under a key of (mapping, page), so another poll, a restarted server or a second server on the
 * same database cannot start a page twice. A refused token or a database gone stops the mapping's
 * pickup with the reason on the mapping; the other mappings go on.
 */
import { and, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import {
  notionConnections,
  notionMappings,
  notionPickups,
  repositories,
  users,
} from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import type { CreateTaskInput } from '../tasks/tasks.ts';
import { hasRole, roleIn } from '../workspaces/workspaces.ts';
import { notionClient, withNotion } from './client.ts';
import { openNotionToken, type NotionContext } from './connections.ts';
import { databaseSchema, normalId, usesDataSources } from './databases.ts';
import { AlreadyPicked, startTaskFromNotion, type WithinTask } from './task-links.ts';
import { pageTitle, type NotionList, type NotionPage } from './wire.ts';

/** Creates a task as `actor`, storing with it what `within` stores (the composition root's). */
export type PickupCreate = (
  actor: Principal,
  input: CreateTaskInput,
  within: WithinTask,
) => Promise<{ task: { id: string }; run: unknown }>;

/** What the poller needs. */
export interface NotionPickupOptions {
  ctx: NotionContext;
  create: PickupCreate;
  /** How often to poll; 0 polls only when asked ({@link NotionPickup.pollOnce}). */
  intervalMs: number;
  /** Where what goes wrong is told; never given a token. */
  log: (error: unknown, message: string) => void;
}

/** Notion failures that stop a mapping's pickup until it is saved again. */
const STOPPING = new Set(['invalid_notion_token', 'not_found']);

type MappingRow = typeof notionMappings.$inferSelect;
type ConnectionRow = typeof notionConnections.$inferSelect;

interface PickupTarget {
  mapping: MappingRow;
  connection: ConnectionRow;
  repo: { workspaceId: string; name: string };
  owner: { id: string; name: string } | null;
  /** The mapping's `updated_at` as PostgreSQL stores it: a save during the poll changes it. */
  savedAt: string;
}

/** How one mapping's poll went. */
interface Outcome {
  started: string[];
  error: string | null;
  stopped: boolean;
}

/**
 * The poller of automatic pickup, started and stopped with the server.
 *
 * @example
 * const pickup = new NotionPickup({ ctx, create, intervalMs: 60_000, log });
 * pickup.start();
 * await pickup.stop();
 */
export class NotionPickup {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private polling: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: NotionPickupOptions) {}

  /** Polls now, then every interval (when there is one). */
  start(): void {
    if (this.running || this.options.intervalMs <= 0) return;
    this.running = true;
    const tick = () => {
      this.pollOnce()
        .then(
          () => undefined,
          (error: unknown) => this.options.log(error, 'the Notion pickup poll failed'),
        )
        .finally(() => {
          if (this.running) this.timer = setTimeout(tick, this.options.intervalMs);
        });
    };
    tick();
  }

  /** Stops polling, after the poll under way. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.polling.catch(() => undefined);
  }

  /**
   * Polls every mapping with pickup on (one poll at a time), answering the ids of the tasks
   * started.
   */
  pollOnce(): Promise<string[]> {
    const poll = this.polling.catch(() => undefined).then(() => this.poll());
    this.polling = poll;
    return poll;
  }

  private async poll(): Promise<string[]> {
    const { db } = this.options.ctx;
    const targets: PickupTarget[] = await db
      .select({
        mapping: notionMappings,
        connection: notionConnections,
        repo: { workspaceId: repositories.workspaceId, name: repositories.name },
        owner: { id: users.id, name: users.name },
        // Exactly as stored: a JavaScript date drops the microseconds PostgreSQL keeps.
        savedAt: sql<string>`${notionMappings.updatedAt}::text`,
      })
      .from(notionMappings)
      .innerJoin(notionConnections, eq(notionConnections.id, notionMappings.connectionId))
      .innerJoin(repositories, eq(repositories.id, notionMappings.repoId))
      .leftJoin(users, eq(users.id, notionMappings.pickupUserId))
      .where(and(isNotNull(notionMappings.pickupStatus), eq(notionMappings.pickupStopped, false)))
      .orderBy(notionMappings.createdAt);
    const started: string[] = [];
    for (const target of targets) {
      let outcome: Outcome;
      try {
        outcome = await this.pollMapping(target);
      } catch (error) {
        const stopped = error instanceof AppError && STOPPING.has(error.code);
        if (!(error instanceof AppError)) {
          this.options.log(error, 'the Notion pickup of a mapping failed');
        }
        outcome = {
          started: [],
          error: error instanceof AppError ? error.message : 'Notion pickup failed unexpectedly.',
          stopped,
        };
      }
      started.push(...outcome.started);
      // A mapping saved during the poll keeps what its save set.
      await db
        .update(notionMappings)
        .set({
          pickupPolledAt: new Date(),
          pickupError: outcome.error,
          pickupStopped: outcome.stopped,
        })
        .where(
          and(
            eq(notionMappings.id, target.mapping.id),
            sql`${notionMappings.updatedAt}::text = ${target.savedAt}`,
          ),
        );
    }
    return started;
  }

  private async pollMapping({ mapping, connection, repo, owner }: PickupTarget): Promise<Outcome> {
    const { ctx } = this.options;
    const pickupStatus = mapping.pickupStatus;
    if (!pickupStatus || !mapping.statusProperty)
      return { started: [], error: null, stopped: false };
    if (!owner) {
      return {
        started: [],
        error:
          'The user who turned automatic pickup on is gone: save the mapping again to start ' +
          'tasks as yourself.',
        stopped: false,
      };
    }
    if (!hasRole(await roleIn(ctx.db, repo.workspaceId, owner.id), 'member')) {
      return {
        started: [],
        error:
          `No task was started: ${owner.name}, who turned automatic pickup on, can no longer ` +
          `start tasks on ${repo.name} (a member of its workspace or above can); a member saving ` +
          'the mapping again starts them as themselves.',
        stopped: false,
      };
    }
    const client = notionClient(ctx.notion, openNotionToken(ctx, connection));
    const schema = await databaseSchema(ctx, client, mapping.databaseId);
    const property = schema.properties.find((p) => p.name === mapping.statusProperty);
    if (!property || !property.options.includes(pickupStatus)) {
      return {
        started: [],
        error:
          `The Notion database “${schema.database.title}” no longer has the option ` +
          `“${pickupStatus}” of “${mapping.statusProperty}”: choose another in the mapping.`,
        stopped: true,
      };
    }
    const pages = await this.pagesIn(client, schema.database, property, pickupStatus);
    const picked = new Set(
      pages.length === 0
        ? []
        : (
            await ctx.db
              .select({ pageId: notionPickups.pageId })
              .from(notionPickups)
              .where(
                and(
                  eq(notionPickups.mappingId, mapping.id),
                  inArray(
                    notionPickups.pageId,
                    pages.map((p) => normalId(p.id)),
                  ),
                ),
              )
          ).map((p) => p.pageId),
    );
    const actor: Principal = { userId: owner.id, tokenId: null, ip: null };
    const started: string[] = [];
    const failures: string[] = [];
    for (const page of pages) {
      if (picked.has(normalId(page.id))) continue;
      try {
        const { task } = await startTaskFromNotion(ctx, {
          actor,
          body: {
            pageId: page.id,
            connectionId: connection.id,
            repoId: mapping.repoId,
            ...(mapping.baseBranch !== null && { baseBranch: mapping.baseBranch }),
          },
          create: (input, within) => this.options.create(actor, input, within),
          pick: { mappingId: mapping.id },
        });
        started.push(task.id);
      } catch (error) {
        // Another poll (of this server or another) started it first.
        if (error instanceof AlreadyPicked) continue;
        if (!(error instanceof AppError) || error.code === 'invalid_notion_token') throw error;
        failures.push(`No task was started from “${pageTitle(page)}”: ${error.message}`);
      }
    }
    return { started, error: failures.length > 0 ? failures.join(' ') : null, stopped: false };
  }

  /** Every page of the database whose status is the pickup option, a page of results at a time. */
  private async pagesIn(
    client: ReturnType<typeof notionClient>,
    database: { id: string; dataSourceId: string | null },
    property: { name: string; type: string },
    option: string,
  ): Promise<NotionPage[]> {
    const path =
      usesDataSources(this.options.ctx) && database.dataSourceId
        ? `data_sources/${database.dataSourceId}/query`
        : `databases/${database.id}/query`;
    const kind = property.type === 'status' ? 'status' : 'select';
    const pages: NotionPage[] = [];
    let cursor: string | null = null;
    do {
      const list: NotionList<NotionPage> = await withNotion(() =>
        client.request<NotionList<NotionPage>>({
          path,
          method: 'post',
          body: {
            filter: { property: property.name, [kind]: { equals: option } },
            sorts: [{ timestamp: 'created_time', direction: 'ascending' }],
            page_size: 100,
            ...(cursor ? { start_cursor: cursor } : {}),
          },
        }),
      );
      pages.push(...list.results);
      cursor = list.has_more ? list.next_cursor : null;
    } while (cursor);
    return pages;
  }
}
