/**
 * @module notion/mappings
 * How a Notion database's pages become tasks: the repository and base branch, the status property
 * and the options Lucid moves a page through, the URL properties the PR link and the preview
 * are written to, and the option whose pages are started automatically (notion/pickup.ts). A
 * mapping is checked against the database's schema as Notion answers it, so a property or option
 * Notion does not have is refused in Notion's own names.
 */
import { and, eq } from 'drizzle-orm';
import type { NotionMapping, NotionMappingBody, NotionProperty } from '@lucid/contracts';
import { notionMappings } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Principal } from '../principal.ts';
import { loadRepo, type RepoContext } from '../repos/repos.ts';
import { recordAudit } from '../audit/audit.ts';
import { requireRole } from '../workspaces/workspaces.ts';
import type { NotionContext } from './connections.ts';
import { mappingOf, normalId, notionDatabaseDetail } from './databases.ts';

function names(properties: NotionProperty[]): string {
  return properties.map((p) => `“${p.name}”`).join(', ') || 'none';
}

/** The mapping's mistakes against the database's properties, as sentences. */
function mistakes(title: string, properties: NotionProperty[], body: NotionMappingBody): string[] {
  const found: string[] = [];
  const byName = new Map(properties.map((p) => [p.name, p]));
  if (body.statusProperty !== null) {
    const status = byName.get(body.statusProperty);
    if (!status) {
      found.push(
        `The Notion database “${title}” has no property “${body.statusProperty}”; its properties are ${names(properties)}.`,
      );
    } else if (status.type !== 'status' && status.type !== 'select') {
      found.push(
        `The property “${status.name}” of “${title}” is a ${status.type} property, not a status or select.`,
      );
    } else {
      for (const option of Object.values(body.statusOptions)) {
        if (option !== undefined && !status.options.includes(option)) {
          found.push(
            `The property “${status.name}” of “${title}” has no option “${option}”; its options are ` +
              `${status.options.map((o) => `“${o}”`).join(', ') || 'none'}.`,
          );
        }
      }
      if (body.pickupStatus !== null && !status.options.includes(body.pickupStatus)) {
        found.push(
          `The property “${status.name}” of “${title}” has no option “${body.pickupStatus}” to ` +
            `start tasks from; its options are ${status.options.map((o) => `“${o}”`).join(', ') || 'none'}.`,
        );
      }
    }
  } else {
    if (Object.values(body.statusOptions).some((o) => o !== undefined)) {
      found.push('Status options need a status property to belong to.');
    }
    if (body.pickupStatus !== null) {
      found.push('Starting tasks automatically needs a status property whose option starts them.');
    }
  }
  for (const [what, name] of [
    ['PR link', body.prLinkProperty],
    ['preview', body.previewProperty],
  ] as const) {
    if (name === null) continue;
    const property = byName.get(name);
    if (!property) {
      found.push(
        `The Notion database “${title}” has no property “${name}” for the ${what}; its properties are ${names(properties)}.`,
      );
    } else if (property.type !== 'url' && property.type !== 'rich_text') {
      found.push(
        `The property “${name}” of “${title}” is a ${property.type} property; the ${what} needs a URL or text property.`,
      );
    }
  }
  return found;
}

/**
 * Saves how a database maps onto a repository, after checking it against the database's schema
 * (`invalid_notion_mapping`, naming what Notion has) and the caller's access to the repository.
 * A workspace's connection is mapped by its admins, onto that workspace's repositories.
 *
 * @example
 * await saveNotionMapping(ctx, { actor, databaseId, body: { repoId, statusProperty: 'Status', … } });
 */
export async function saveNotionMapping(
  ctx: NotionContext & RepoContext,
  {
    actor,
    connectionId,
    databaseId,
    body,
  }: {
    actor: Principal;
    connectionId?: string | undefined;
    databaseId: string;
    body: NotionMappingBody;
  },
): Promise<NotionMapping> {
  const detail = await notionDatabaseDetail(ctx, {
    userId: actor.userId,
    connectionId,
    databaseId,
  });
  const { connection } = detail;
  if (connection.workspaceId) {
    await requireRole(ctx.db, connection.workspaceId, actor.userId, 'admin');
  }
  const repo = await loadRepo(ctx, actor.userId, body.repoId, 'member');
  if (connection.workspaceId && repo.workspaceId !== connection.workspaceId) {
    throw new AppError(
      'invalid_notion_mapping',
      `The repository ${repo.name} is not in the workspace this Notion connection belongs to.`,
    );
  }
  const found = mistakes(detail.database.title, detail.properties, body);
  if (found.length > 0) throw new AppError('invalid_notion_mapping', found.join(' '));
  const values = {
    dataSourceId: detail.database.dataSourceId,
    repoId: repo.id,
    baseBranch: body.baseBranch,
    statusProperty: body.statusProperty,
    statusOptions: body.statusProperty ? body.statusOptions : {},
    prLinkProperty: body.prLinkProperty,
    previewProperty: body.previewProperty,
  };
  const pickupStatus = body.statusProperty ? body.pickupStatus : null;
  await ctx.db.transaction(async (tx) => {
    const [earlier] = await tx
      .select({ status: notionMappings.pickupStatus, userId: notionMappings.pickupUserId })
      .from(notionMappings)
      .where(
        and(
          eq(notionMappings.connectionId, connection.id),
          eq(notionMappings.databaseId, normalId(databaseId)),
        ),
      )
      .for('update');
    // Picked tasks belong to whoever turned pickup on; saving it again as it was keeps them theirs.
    const pickup = {
      pickupStatus,
      pickupUserId:
        pickupStatus === null
          ? null
          : earlier?.status === pickupStatus && earlier.userId
            ? earlier.userId
            : actor.userId,
      pickupError: null,
      pickupStopped: false,
      ...(pickupStatus === null && { pickupPolledAt: null }),
    };
    await tx
      .insert(notionMappings)
      .values({
        id: newId('nmap'),
        connectionId: connection.id,
        databaseId: normalId(databaseId),
        ...values,
        ...pickup,
      })
      .onConflictDoUpdate({
        target: [notionMappings.connectionId, notionMappings.databaseId],
        set: { ...values, ...pickup, updatedAt: new Date() },
      });
    await recordAudit(tx, {
      actor,
      action: 'notion.mapping.save',
      targetType: 'integration',
      targetId: connection.id,
      workspaceId: repo.workspaceId,
      metadata: { database: detail.database.title, repo: repo.name, pickup: pickupStatus },
    });
  });
  const saved = await mappingOf(ctx, connection.id, databaseId);
  if (!saved) throw new AppError('internal', 'The mapping was not stored.');
  return saved;
}
