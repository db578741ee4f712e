/**
 * @module http/routes/cli-package
 * `GET /cli.tgz`: the `lucid` command as an npm package, for `npm install -g $LUCID_URL/cli.tgz`
 * on any machine that reaches this server. Public: it holds no secret, and a newcomer installs
 * it before having a token.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { cliPackage, cliPackageManifest } from '../../cli-package/cli-package.ts';

export const cliPackageRoutes = (): FastifyPluginAsyncZod => async (app) => {
  app.get(
    '/cli.tgz',
    {
      config: { public: true },
      schema: {
        tags: ['meta'],
        summary: 'The lucid command line, as an npm package',
        description:
          'Install it with `npm install -g <this server>/cli.tgz`, then `lucid login --server <this server>`. ' +
          'It bundles everything it needs, so npm installs it without a registry.',
      },
    },
    async (_request, reply) => {
      const tarball = await cliPackage();
      return reply
        .type('application/gzip')
        .header(
          'content-disposition',
          `attachment; filename="lucid-cli-${String(cliPackageManifest().version)}.tgz"`,
        )
        .header('cache-control', 'no-cache')
        .send(tarball);
    },
  );
};
