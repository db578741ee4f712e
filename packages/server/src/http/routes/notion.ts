/**
 * @module http/routes/notion
 * Notion under `/api/v1/notion`: the databases a connection reaches, a database's schema and its
 * mapping onto a repository, its pages, one page as Markdown, a task started from a page, and the
 * page a task came from.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  CreatedTask,
  CreateNotionTaskBody,
  IdParams,
  NotionConnectionQuery,
  NotionDatabaseDetail,
  NotionDatabaseList,
  NotionDatabaseParams,
  NotionDatabaseQuery,
  NotionMapping,
  NotionMappingBody,
  NotionPageDetail,
  NotionPageList,
  NotionPageParams,
  NotionPageQuery,
  TaskNotionLinkAnswer,
} from '@lucid/contracts';
import { listNotionDatabases, notionDatabaseDetail } from '../../notion/databases.ts';
import { saveNotionMapping } from '../../notion/mappings.ts';
import { listNotionPages, notionPageDetail } from '../../notion/pages.ts';
import { startTaskFromNotion, taskNotionLink } from '../../notion/task-links.ts';
import { principalOf } from '../authenticate.ts';
import { notionContext, repoContext, taskCreation, type AppDeps } from '../context.ts';
import { toRun, toTask } from '../views.ts';

export const notionRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const ctx = notionContext(deps);
    const repos = repoContext(deps);
    const create = taskCreation(deps);
    const tags = ['notion'];

    app.get(
      '/notion/databases',
      {
        schema: {
          tags,
          summary:
            'The Notion databases the connection reaches, one page of Notion’s search at a time',
          querystring: NotionDatabaseQuery,
          response: { 200: NotionDatabaseList },
        },
      },
      async (request) =>
        listNotionDatabases(ctx, { userId: principalOf(request).userId, ...request.query }),
    );

    app.get(
      '/notion/databases/:databaseId',
      {
        schema: {
          tags,
          summary: 'A Notion database: its properties, its mapping and the mapping guessed for it',
          params: NotionDatabaseParams,
          querystring: NotionConnectionQuery,
          response: { 200: NotionDatabaseDetail },
        },
      },
      async (request) => {
        const detail = await notionDatabaseDetail(ctx, {
          userId: principalOf(request).userId,
          connectionId: request.query.connectionId,
          databaseId: request.params.databaseId,
        });
        return {
          database: detail.database,
          properties: detail.properties,
          mapping: detail.mapping,
          suggested: detail.suggested,
        };
      },
    );

    app.put(
      '/notion/databases/:databaseId/mapping',
      {
        schema: {
          tags,
          summary:
            'Map a Notion database onto a repository: base branch, status property and options, ' +
            'PR-link and preview properties, and the status whose pages start tasks ' +
            'automatically (checked against the database)',
          params: NotionDatabaseParams,
          querystring: NotionConnectionQuery,
          body: NotionMappingBody,
          response: { 200: NotionMapping },
        },
      },
      async (request) =>
        saveNotionMapping(
          { ...ctx, ...repos },
          {
            actor: principalOf(request),
            connectionId: request.query.connectionId,
            databaseId: request.params.databaseId,
            body: request.body,
          },
        ),
    );

    app.get(
      '/notion/databases/:databaseId/pages',
      {
        schema: {
          tags,
          summary:
            'A Notion database’s pages, searched by title and filtered by status, a page at a time',
          params: NotionDatabaseParams,
          querystring: NotionPageQuery,
          response: { 200: NotionPageList },
        },
      },
      async (request) =>
        listNotionPages(ctx, {
          userId: principalOf(request).userId,
          databaseId: request.params.databaseId,
          ...request.query,
        }),
    );

    app.get(
      '/notion/pages/:pageId',
      {
        schema: {
          tags,
          summary:
            'A Notion page with its body as Markdown, and the prompt a task from it starts with',
          params: NotionPageParams,
          querystring: NotionConnectionQuery,
          response: { 200: NotionPageDetail },
        },
      },
      async (request) => {
        const {
          connectionId: _c,
          dataSourceId: _d,
          ...page
        } = await notionPageDetail(ctx, {
          userId: principalOf(request).userId,
          connectionId: request.query.connectionId,
          pageId: request.params.pageId,
        });
        return page;
      },
    );

    app.post(
      '/notion/tasks',
      {
        schema: {
          tags,
          summary:
            'Create a task from a Notion page (and start its first run unless start is false); ' +
            'the task keeps a link to the page',
          body: CreateNotionTaskBody,
          response: { 201: CreatedTask },
        },
      },
      async (request, reply) => {
        const actor = principalOf(request);
        const { task, run } = await startTaskFromNotion(ctx, {
          actor,
          body: request.body,
          create: (input, within) => create(actor, input, within),
        });
        return reply.status(201).send({ task: toTask(task), run: run ? toRun(run) : null });
      },
    );

    app.get(
      '/tasks/:id/notion',
      {
        schema: {
          tags,
          summary: 'The Notion page a task came from (its status as Notion has it now), or null',
          params: IdParams,
          response: { 200: TaskNotionLinkAnswer },
        },
      },
      async (request) => ({
        link: await taskNotionLink(ctx, {
          userId: principalOf(request).userId,
          taskId: request.params.id,
        }),
      }),
    );
  };
