/**
 * @module http/routes/workspace-credentials
 * A workspace's own credentials, used by its members' tasks when they have none of their own: a
 * forge connection per forge (by personal access token) and a model provider key per provider.
 * Every member sees which exist (the account, the key's hint); only admins and owners set or
 * remove them. Tokens and keys are never answered.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  ConnectTokenBody,
  IdParams,
  Integration,
  ProviderKey,
  ProviderKeyList,
  PutProviderKeyBody,
  WorkspaceConnectionList,
  WorkspaceForgeParams,
  WorkspaceProviderParams,
} from '@lucid/contracts';
import {
  connectWithToken,
  disconnect,
  listWorkspaceConnections,
} from '../../forges/connections.ts';
import {
  deleteProviderKey,
  listWorkspaceProviderKeys,
  putProviderKey,
  type ProviderKeyContext,
} from '../../llm/provider-keys.ts';
import { principalOf } from '../authenticate.ts';
import { forgeContext, type AppDeps } from '../context.ts';

export const workspaceCredentialRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const forges = forgeContext(deps);
    const keys: ProviderKeyContext = {
      db: deps.database.db,
      llm: deps.config.llm,
      encryptionKey: deps.config.encryptionKey,
    };
    const tags = ['workspaces'];

    app.get(
      '/workspaces/:id/connections',
      {
        schema: {
          tags,
          summary:
            "The workspace's own forge accounts, used by members' tasks when they have none (never a token)",
          params: IdParams,
          response: { 200: WorkspaceConnectionList },
        },
      },
      async (request) => ({
        connections: await listWorkspaceConnections(forges, {
          actor: principalOf(request),
          workspaceId: request.params.id,
        }),
      }),
    );

    app.post(
      '/workspaces/:id/connections/:provider/token',
      {
        schema: {
          tags,
          summary:
            "Connect the workspace's forge account with a personal access token (admins; checked with the forge first)",
          params: WorkspaceForgeParams,
          body: ConnectTokenBody,
          response: { 200: Integration },
        },
      },
      async (request) =>
        connectWithToken(forges, {
          actor: principalOf(request),
          provider: request.params.provider,
          token: request.body.token,
          workspaceId: request.params.id,
        }),
    );

    app.delete(
      '/workspaces/:id/connections/:provider',
      {
        schema: {
          tags,
          summary: "Disconnect the workspace's forge account (admins); its tokens are forgotten",
          params: WorkspaceForgeParams,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await disconnect(forges, {
          actor: principalOf(request),
          provider: request.params.provider,
          workspaceId: request.params.id,
        });
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/workspaces/:id/provider-keys',
      {
        schema: {
          tags,
          summary:
            "The workspace's own model provider keys, used by members' tasks when they have none (a hint of each, never the key)",
          params: IdParams,
          response: { 200: ProviderKeyList },
        },
      },
      async (request) => ({
        keys: await listWorkspaceProviderKeys(keys.db, {
          actor: principalOf(request),
          workspaceId: request.params.id,
        }),
      }),
    );

    app.put(
      '/workspaces/:id/provider-keys/:provider',
      {
        schema: {
          tags,
          summary:
            "Set the workspace's key for a provider (admins), used by members' tasks without a key of their own",
          params: WorkspaceProviderParams,
          body: PutProviderKeyBody,
          response: { 200: ProviderKey },
        },
      },
      async (request) =>
        putProviderKey(keys, {
          actor: principalOf(request),
          provider: request.params.provider,
          apiKey: request.body.apiKey,
          baseUrl: request.body.baseUrl,
          workspaceId: request.params.id,
        }),
    );

    app.delete(
      '/workspaces/:id/provider-keys/:provider',
      {
        schema: {
          tags,
          summary: "Remove the workspace's key for a provider (admins)",
          params: WorkspaceProviderParams,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await deleteProviderKey(keys.db, {
          actor: principalOf(request),
          provider: request.params.provider,
          workspaceId: request.params.id,
        });
        return reply.status(204).send(null);
      },
    );
  };
