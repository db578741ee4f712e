/**
 * @module http/routes/integrations
 * Forge integrations under `/api/integrations`: connect GitHub or GitLab (OAuth consent page and
 * its callback, or a personal access token), list and remove connections, list the account's
 * repositories and add one to Lucid as a mirror.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  AddForgeRepoBody,
  ConnectTokenBody,
  ForgeProviderParams,
  ForgeRepoList,
  ForgeRepoQuery,
  Integration,
  IntegrationList,
  LinkedRepo,
} from '@lucid/contracts';
import { connectWithToken, disconnect, listIntegrations } from '../../forges/connections.ts';
import { addForgeRepo, listForgeRepos } from '../../forges/forge-repos.ts';
import {
  DEFAULT_RETURN_TO,
  finishAuthorization,
  isLocalPath,
  OAuthCallbackError,
  startAuthorization,
} from '../../forges/oauth.ts';
import { principalOf } from '../authenticate.ts';
import { forgeContext, repoContext, type AppDeps } from '../context.ts';

const AuthQuery = z.object({
  returnTo: z
    .string()
    .max(500)
    .optional()
    .describe(
      'A path on this server to come back to once connected; /settings/integrations by default.',
    ),
});

const CallbackQuery = z.object({
  code: z.string().max(2000).optional(),
  state: z.string().max(500).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(2000).optional(),
});

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `returnTo` with the error's code and sentence, for the web app to show. */
function withError(returnTo: string, error: OAuthCallbackError): string {
  const target = isLocalPath(returnTo) ? returnTo : DEFAULT_RETURN_TO;
  const separator = target.includes('?') ? '&' : '?';
  const params = new URLSearchParams({ error: error.code, message: error.message });
  return `${target}${separator}${params.toString()}`;
}

/** A short page saying what went wrong, with the way back (a browser lands on it from a redirect). */
function errorPage(error: OAuthCallbackError, back: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Could not connect</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem">
<h1 style="font-size: 1.25rem">Could not connect</h1>
<p>${escapeHtml(error.message)}</p>
<p><code>${escapeHtml(error.code)}</code></p>
<p><a href="${escapeHtml(back)}">Back to integrations</a></p>
</body></html>`;
}

export const integrationRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const ctx = forgeContext(deps);
    const oauth = { ...ctx, publicUrl: deps.config.publicUrl };
    const repos = { ...ctx, ...repoContext(deps) };
    const tags = ['integrations'];

    app.get(
      '/',
      {
        schema: {
          tags,
          summary:
            'Your connected forge accounts (never their tokens), and the providers this server connects by OAuth',
          response: { 200: IntegrationList },
        },
      },
      async (request) => listIntegrations(ctx, principalOf(request).userId),
    );

    app.get(
      '/:provider/auth',
      {
        schema: {
          tags,
          summary: 'Start connecting a forge: redirects to its consent page',
          params: ForgeProviderParams,
          querystring: AuthQuery,
          response: { 302: z.null() },
        },
      },
      async (request, reply) => {
        const url = await startAuthorization(oauth, {
          actor: principalOf(request),
          provider: request.params.provider,
          returnTo: request.query.returnTo,
        });
        return reply.redirect(url, 302);
      },
    );

    app.get(
      '/:provider/callback',
      {
        schema: {
          tags,
          summary:
            'Where the forge sends the browser back: stores the connection and redirects to the ' +
            'page that started it (with ?error= when it failed)',
          params: ForgeProviderParams,
          querystring: CallbackQuery,
        },
      },
      async (request, reply) => {
        try {
          const { returnTo } = await finishAuthorization(oauth, {
            actor: request.principal,
            provider: request.params.provider,
            query: request.query,
          });
          return await reply.redirect(returnTo, 302);
        } catch (error) {
          if (!(error instanceof OAuthCallbackError)) throw error;
          const back = withError(error.returnTo, error);
          if (error.code === 'invalid_oauth_state' || error.code === 'unauthorized') {
            // Nothing of this authorization can be trusted: say so here rather than redirect.
            return reply
              .status(error.status)
              .type('text/html; charset=utf-8')
              .send(errorPage(error, back));
          }
          return reply.redirect(back, 302);
        }
      },
    );

    app.post(
      '/:provider/token',
      {
        schema: {
          tags,
          summary: 'Connect a forge with a personal access token (checked with the forge first)',
          params: ForgeProviderParams,
          body: ConnectTokenBody,
          response: { 200: Integration },
        },
      },
      async (request) =>
        connectWithToken(ctx, {
          actor: principalOf(request),
          provider: request.params.provider,
          token: request.body.token,
        }),
    );

    app.delete(
      '/:provider',
      {
        schema: {
          tags,
          summary: 'Disconnect a forge account; its tokens are forgotten',
          params: ForgeProviderParams,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await disconnect(ctx, { actor: principalOf(request), provider: request.params.provider });
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/:provider/repos',
      {
        schema: {
          tags,
          summary: 'Repositories your connected account can push to, one page at a time',
          params: ForgeProviderParams,
          querystring: ForgeRepoQuery,
          response: { 200: ForgeRepoList },
        },
      },
      async (request) =>
        listForgeRepos(ctx, {
          userId: principalOf(request).userId,
          provider: request.params.provider,
          query: request.query,
        }),
    );

    app.post(
      '/:provider/repos',
      {
        schema: {
          tags,
          summary:
            'Add a forge repository to Lucid: it is mirrored and linked upstream; the answer ' +
            'holds its webhook secret and payload URL, shown this once',
          params: ForgeProviderParams,
          body: AddForgeRepoBody,
          response: { 201: LinkedRepo },
        },
      },
      async (request, reply) =>
        reply.status(201).send(
          await addForgeRepo(repos, {
            actor: principalOf(request),
            provider: request.params.provider,
            fullName: request.body.fullName,
            workspaceId: request.body.workspaceId,
          }),
        ),
    );
  };
