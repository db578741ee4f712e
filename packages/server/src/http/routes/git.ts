/**
 * @module http/routes/git
 * Lucid's git server at `/git/{repoId}.git`: clone, fetch and push with the real git client,
 * authenticated by an API token as the HTTP Basic password. Bodies stream through untouched.
 */
import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../../errors.ts';
import { loadRepo, recordPush } from '../../repos/repos.ts';
import { serveGitHttp } from '../../git/http-backend.ts';
import { resolvePrincipal } from '../authenticate.ts';
import { repoContext, type AppDeps } from '../context.ts';

const GIT_PATH = /^([a-z0-9_]+)\.git(\/.*)$/;

export const gitRoutes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const ctx = repoContext(deps);

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

        const principal = await resolvePrincipal(request, {
          db: ctx.db,
          auth: deps.auth,
          cookies: false,
        }).catch((error: unknown) => {
          if (error instanceof AppError && error.code === 'invalid_credentials') return null;
          throw error;
        });
        if (!principal) {
          reply.header('www-authenticate', 'Basic realm="Lucid", charset="UTF-8"');
          throw new AppError(
            'unauthorized',
            'Authentication required: use any user name and an API token as the password.',
          );
        }

        const pushing =
          rest === '/git-receive-pack' ||
          new URLSearchParams(query).get('service') === 'git-receive-pack';
        const repo = await loadRepo(ctx, principal.userId, repoId, pushing ? 'member' : 'viewer');

        reply.hijack();
        const exitCode = await serveGitHttp({
          req: request.raw,
          res: reply.raw,
          projectRoot: ctx.gitRoot,
          pathInfo: `/${repoId}.git${rest}`,
          query,
          remoteUser: principal.userId,
          remoteAddr: request.ip,
          log: request.log,
        });
        if (exitCode === 0 && request.method === 'POST' && rest === '/git-receive-pack') {
          await recordPush(ctx, { actor: principal, repo }).catch((error: unknown) => {
            request.log.error({ err: error }, 'could not record a push');
          });
        }
      },
    });
  };
