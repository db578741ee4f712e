/**
 * @module http/routes/repos
 * Repositories and their branches and history.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  BranchList,
  CloneUrl,
  CommitList,
  CommitsQuery,
  CreateRepoBody,
  IdParams,
  IngestRepoBody,
  MoveRepoBody,
  Repo,
  RepoList,
  RepoWebhookSecret,
  UpdateRepoBody,
  WorkspaceScopeQuery,
} from '@lucid/contracts';
import {
  cloneUrl,
  createRepo,
  deleteRepo,
  getRepo,
  listRepos,
  loadRepo,
  moveRepo,
  updateRepo,
} from '../../repos/repos.ts';
import { bareRepoPath, listBranches, listCommits } from '../../git/bare-repo.ts';
import { rotateWebhookSecret } from '../../forges/webhook-secrets.ts';
import { principalOf } from '../authenticate.ts';
import { repoContext, type AppDeps } from '../context.ts';

export const repoRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const ctx = repoContext(deps);
    const tags = ['repos'];

    app.get(
      '/repos',
      {
        schema: {
          tags,
          summary: 'List the repositories you can see, or those of one of your workspaces',
          querystring: WorkspaceScopeQuery,
          response: { 200: RepoList },
        },
      },
      async (request) => ({
        repos: await listRepos(ctx, principalOf(request).userId, request.query.workspaceId),
      }),
    );

    app.post(
      '/repos',
      {
        schema: {
          tags,
          summary: 'Create an empty repository',
          body: CreateRepoBody,
          response: { 201: Repo },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(await createRepo(ctx, { actor: principalOf(request), input: request.body })),
    );

    app.post(
      '/repos/ingest',
      {
        schema: {
          tags,
          summary: 'Create a repository to push a local one into (what `lucid ingest` calls)',
          body: IngestRepoBody,
          response: { 201: Repo },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(await createRepo(ctx, { actor: principalOf(request), input: request.body })),
    );

    app.get(
      '/repos/:id',
      { schema: { tags, summary: 'Get a repository', params: IdParams, response: { 200: Repo } } },
      async (request) => getRepo(ctx, principalOf(request).userId, request.params.id),
    );

    app.patch(
      '/repos/:id',
      {
        schema: {
          tags,
          summary: 'Rename a repository or change its description or default branch',
          params: IdParams,
          body: UpdateRepoBody,
          response: { 200: Repo },
        },
      },
      async (request) =>
        updateRepo(ctx, {
          actor: principalOf(request),
          repoId: request.params.id,
          input: request.body,
        }),
    );

    app.delete(
      '/repos/:id',
      {
        schema: {
          tags,
          summary: 'Delete a repository and its storage',
          params: IdParams,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await deleteRepo(ctx, { actor: principalOf(request), repoId: request.params.id });
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/repos/:id/move',
      {
        schema: {
          tags,
          summary: 'Move a repository and its tasks to another workspace (admin of both)',
          params: IdParams,
          body: MoveRepoBody,
          response: { 200: Repo },
        },
      },
      async (request) =>
        moveRepo(ctx, {
          actor: principalOf(request),
          repoId: request.params.id,
          workspaceId: request.body.workspaceId,
        }),
    );

    app.get(
      '/repos/:id/clone-url',
      {
        schema: {
          tags,
          summary: 'The URL to clone and push with git',
          params: IdParams,
          response: { 200: CloneUrl },
        },
      },
      async (request) => {
        const repo = await loadRepo(ctx, principalOf(request).userId, request.params.id, 'member');
        return { cloneUrl: cloneUrl(ctx.publicUrl, repo.id), username: 'lucid' };
      },
    );

    app.post(
      '/repos/:id/webhook',
      {
        schema: {
          tags,
          summary:
            "Make a new webhook secret for a repository linked from a forge (the workspace's " +
            'admins): shown this once with the payload URL; the previous secret stops working',
          params: IdParams,
          response: { 201: RepoWebhookSecret },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(
            await rotateWebhookSecret(
              { ...ctx, encryptionKey: deps.config.encryptionKey },
              { actor: principalOf(request), repoId: request.params.id },
            ),
          ),
    );

    app.get(
      '/repos/:id/branches',
      {
        schema: { tags, summary: 'List branches', params: IdParams, response: { 200: BranchList } },
      },
      async (request) => {
        const repo = await loadRepo(ctx, principalOf(request).userId, request.params.id, 'member');
        return { branches: await listBranches(bareRepoPath(ctx.gitRoot, repo.id)) };
      },
    );

    app.get(
      '/repos/:id/commits',
      {
        schema: {
          tags,
          summary: 'Commits with their parents, across branches or from one ref',
          params: IdParams,
          querystring: CommitsQuery,
          response: { 200: CommitList },
        },
      },
      async (request) => {
        const repo = await loadRepo(ctx, principalOf(request).userId, request.params.id, 'member');
        return {
          commits: await listCommits(bareRepoPath(ctx.gitRoot, repo.id), {
            ...request.query,
            defaultBranch: repo.defaultBranch,
          }),
        };
      },
    );
  };
