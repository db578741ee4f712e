/**
 * @module http/routes/git
 * Lucid's git server at `/git/{repoId}.git`: clone, fetch and push with the real git client.
 * Credentials come as the HTTP Basic password: a user's API token (their repositories, by role),
 * or a run's token (its one repository; pushes only to its task's branch). Bodies stream through.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.ts';
import { loadRepo, recordPush } from '../../repos/repos.ts';
import { serveGitHttp } from '../../git/http-backend.ts';
import { RUN_TOKEN_PREFIX, verifyRunToken, type RunGrant } from '../../tasks/run-tokens.ts';
import type { Principal } from '../../principal.ts';
import { presentedToken, resolvePrincipal } from '../authenticate.ts';
import { repoContext, type AppDeps } from '../context.ts';

const GIT_PATH = /^([a-z0-9_]+)\.git(\/.*)$/;

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
        const [pathPart = '', query = ''] = request.url.slice('/git'.length).split('?', 2);
        const match = GIT_PATH.exec(pathPart.slice(1));
        if (!match) throw new AppError('repo_not_found', 'No such repository.');
        const [, repoId = '', rest = ''] = match;
        const pushing =
          rest === '/git-receive-pack' ||
          new URLSearchParams(query).get('service') === 'git-receive-pack';

        const who = await caller(request, reply);
        if (who.grant && who.grant.repoId !== repoId) {
          throw new AppError('repo_not_found', 'No such repository.');
        }
        const repo = who.principal
          ? await loadRepo(ctx, who.principal.userId, repoId, pushing ? 'member' : 'viewer')
          : null;

        reply.hijack();
        const pushedBy =
          repo && who.principal && rest === '/git-receive-pack' ? who.principal : null;
        await serveGitHttp({
          req: request.raw,
          res: reply.raw,
          projectRoot: ctx.gitRoot,
          pathInfo: `/${repoId}.git${rest}`,
          query,
          remoteUser: who.principal ? who.principal.userId : `run:${who.grant.runId}`,
          remoteAddr: request.ip,
          pushOnlyRef: who.grant ? `refs/heads/${who.grant.branch}` : undefined,
          beforeEnd: async (exitCode) => {
            if (!repo || !pushedBy || exitCode !== 0) return;
            await recordPush(ctx, { actor: pushedBy, repo }).catch((error: unknown) => {
              request.log.error({ err: error }, 'could not record a push');
            });
          },
          log: request.log,
        });
      },
    });
  };
