/**
 * @module http/routes/git
 * Lucid's git server at `/git/{repoId}.git`: clone, fetch and push with the real git client.
 * Credentials come as the HTTP Basic password: a user's API token (their repositories, by role:
 * a viewer reads, a member pushes), or a run's token (its one repository; pushes only to its
 * task's branch). The raw URL is read once by `parseSmartHttp`; the role is checked for what that
 * parse says the request does, and git is handed the request as parsed, never the client's text.
 * Bodies stream through.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.ts';
import { loadRepo, recordPush } from '../../repos/repos.ts';
import { serveGitHttp } from '../../git/http-backend.ts';
import { isPush, parseSmartHttp } from '../../git/smart-http.ts';
import { notifyRefs } from '../../tasks/live-channel.ts';
import { RUN_TOKEN_PREFIX, verifyRunToken, type RunGrant } from '../../auth/run-tokens.ts';
import type { Principal } from '../../principal.ts';
import { presentedToken, resolvePrincipal } from '../authenticate.ts';
import { repoContext, type AppDeps } from '../context.ts';
import { GIT_ACCESS } from '../access.ts';

/** `/git/<repo id>.git<tail>[?query]`, as sent (not decoded). */
const GIT_URL = /^\/git\/([a-z0-9_]+)\.git(\/[^?]*)(?:\?(.*))?$/s;

type GitCaller = { principal: Principal; grant?: never } | { grant: RunGrant; principal?: never };

export const gitRoutes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const ctx = repoContext(deps);

    /** Who is calling, or a 401 that makes git ask for credentials. */
    async function caller(request: FastifyRequest, reply: FastifyReply): Promise<GitCaller> {
      const token = presentedToken(request);
      if (token?.startsWith(RUN_TOKEN_PREFIX)) {
        const grant = await verifyRunToken(ctx.db, token);
        if (grant) return { grant };
      } else {
        const principal = await resolvePrincipal(request, {
          db: ctx.db,
          auth: deps.auth,
          cookies: false,
        }).catch((error: unknown) => {
          if (error instanceof AppError && error.code === 'invalid_credentials') return null;
          throw error;
        });
        if (principal) return { principal };
      }
      reply.header('www-authenticate', 'Basic realm="Lucid", charset="UTF-8"');
      throw new AppError(
        'unauthorized',
        'Authentication required: use any user name and an API token as the password.',
      );
    }

    // Leave request bodies unread: git http-backend consumes the raw stream itself.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null));

    app.route({
      method: ['GET', 'POST'],
      url: '/git/*',
      config: { public: true },
      schema: { hide: true },
      handler: async (request, reply) => {
        const match = GIT_URL.exec(request.url);
        if (!match) throw new AppError('repo_not_found', 'No such repository.');
        const [, repoId = '', tail = '', query] = match;
        const smart = parseSmartHttp({ method: request.method, tail, query: query ?? null });
        const pushing = isPush(smart);

        const who = await caller(request, reply);
        if (who.grant && who.grant.repoId !== repoId) {
          throw new AppError('repo_not_found', 'No such repository.');
        }
        const repo = who.principal
          ? await loadRepo(
              ctx,
              who.principal.userId,
              repoId,
              GIT_ACCESS[pushing ? 'push' : 'read'].role,
            )
          : null;

        reply.hijack();
        const pushedBy =
          repo && who.principal && smart.kind === 'rpc' && pushing ? who.principal : null;
        await serveGitHttp({
          req: request.raw,
          res: reply.raw,
          projectRoot: ctx.gitRoot,
          repoDir: `${repoId}.git`,
          request: smart,
          remoteUser: who.principal ? who.principal.userId : `run:${who.grant.runId}`,
          remoteAddr: request.ip,
          pushOnlyRef: who.grant ? `refs/heads/${who.grant.branch}` : undefined,
          beforeEnd: async (exitCode) => {
            if (exitCode !== 0 || smart.kind !== 'rpc' || !pushing) return;
            if (repo && pushedBy) {
              await recordPush(ctx, { actor: pushedBy, repo }).catch((error: unknown) => {
                request.log.error({ err: error }, 'could not record a push');
              });
            }
            await notifyRefs(ctx.db, repoId).catch((error: unknown) => {
              request.log.error({ err: error }, 'could not announce a push');
            });
          },
          log: request.log,
        });
      },
    });
  };
