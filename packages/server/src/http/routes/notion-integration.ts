/**
 * @module http/routes/notion-integration
 * Connecting Notion under `/api/integrations/notion`, beside the forges: by Notion's consent page
 * (OAuth) and its callback, or by an internal integration's secret (the caller's own, or a
 * workspace's by its admins); the connections the caller can use; disconnecting.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  ConnectNotionTokenBody,
  IdParams,
  NotionAuthQuery,
  NotionConnection,
  NotionStatus,
} from '@lucid/contracts';
import {
  connectNotionWithToken,
  disconnectNotion,
  notionStatus,
} from '../../notion/connections.ts';
import {
  finishNotionAuthorization,
  NOTION_RETURN_TO,
  NotionCallbackError,
  startNotionAuthorization,
} from '../../notion/oauth.ts';
import { principalOf } from '../authenticate.ts';
import { notionContext, type AppDeps } from '../context.ts';

const CallbackQuery = z.object({
  code: z.string().max(2000).optional(),
  state: z.string().max(500).optional(),
  error: z.string().max(200).optional(),
});

function withError(returnTo: string, error: NotionCallbackError): string {
  const separator = returnTo.includes('?') ? '&' : '?';
  const params = new URLSearchParams({ error: error.code, message: error.message });
  return `${returnTo}${separator}${params.toString()}`;
}

export const notionIntegrationRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const ctx = notionContext(deps);
    const tags = ['integrations'];

    app.get(
      '/notion',
      {
        schema: {
          tags,
          summary:
            'The Notion workspaces you can use (your own connection and your workspaces’), never ' +
            'their tokens, and whether this server connects Notion by OAuth',
          response: { 200: NotionStatus },
        },
      },
      async (request) => notionStatus(ctx, principalOf(request).userId),
    );

    app.get(
      '/notion/auth',
      {
        schema: {
          tags,
          summary: 'Start connecting Notion: redirects to Notion’s consent page',
          querystring: NotionAuthQuery,
          response: { 302: z.null() },
        },
      },
      async (request, reply) => {
        const url = await startNotionAuthorization(ctx, {
          actor: principalOf(request),
          returnTo: request.query.returnTo,
        });
        return reply.redirect(url, 302);
      },
    );

    app.get(
      '/notion/callback',
      {
        schema: {
          tags,
          summary:
            'Where Notion sends the browser back: stores the connection and redirects to the page ' +
            'that started it (with ?error= when it failed)',
          querystring: CallbackQuery,
        },
      },
      async (request, reply) => {
        try {
          const { returnTo } = await finishNotionAuthorization(ctx, {
            actor: request.principal,
            query: request.query,
          });
          return await reply.redirect(returnTo, 302);
        } catch (error) {
          if (!(error instanceof NotionCallbackError)) throw error;
          if (error.code === 'invalid_oauth_state' || error.code === 'unauthorized') {
            return reply
              .status(error.status)
              .send({ error: { code: error.code, message: error.message } });
          }
          return reply.redirect(withError(error.returnTo || NOTION_RETURN_TO, error), 302);
        }
      },
    );

    app.post(
      '/notion/token',
      {
        schema: {
          tags,
          summary:
            'Connect Notion with an internal integration’s secret (checked with Notion first), ' +
            'for yourself or, as its admin, for a workspace',
          body: ConnectNotionTokenBody,
          response: { 200: NotionConnection },
        },
      },
      async (request) =>
        connectNotionWithToken(ctx, { actor: principalOf(request), ...request.body }),
    );

    app.delete(
      '/notion/connections/:id',
      {
        schema: {
          tags,
          summary: 'Disconnect a Notion workspace; its token and database mappings are forgotten',
          params: IdParams,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await disconnectNotion(ctx, {
          actor: principalOf(request),
          connectionId: request.params.id,
        });
        return reply.status(204).send(null);
      },
    );
  };
