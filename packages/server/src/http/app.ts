/**
 * @module http/app
 * Builds the Fastify app: zod-typed routes, the API reference at `/api/docs`, authentication of
 * `/api/v1` and of the forge integrations at `/api/integrations`, the git server at `/git`, the LLM
 * gateway at `/llm`, and the web app for every other path. Every answer carries the security
 * headers, and every cookie-authenticated write must come from a trusted origin.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyStatic from '@fastify/static';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { AppDeps } from './context.ts';
import { installErrorHandling, installNotFound } from './error-handler.ts';
import { resolvePrincipal } from './authenticate.ts';
import { installCrossOriginCheck } from './cross-origin.ts';
import { installSecurityHeaders } from './security-headers.ts';
import { installRateLimit } from './rate-limit.ts';
import { installAccessCheck } from './access.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { addLogContext, installLogContext, installRequestMetrics } from './observe.ts';
import { cliPackageRoutes } from './routes/cli-package.ts';
import { authRoutes } from './routes/auth.ts';
import { accountRoutes } from './routes/account.ts';
import { usageRoutes } from './routes/usage.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { repoRoutes } from './routes/repos.ts';
import { gitRoutes } from './routes/git.ts';
import { llmRoutes } from './routes/llm.ts';
import { taskRoutes } from './routes/tasks.ts';
import { taskStreamRoutes } from './routes/task-stream.ts';
import { modelRoutes } from './routes/models.ts';
import { providerKeyRoutes } from './routes/provider-keys.ts';
import { runnerRoutes } from './routes/runners.ts';
import { runnerApiRoutes } from './routes/runner-api.ts';
import { boardRoutes } from './routes/board.ts';
import { integrationRoutes } from './routes/integrations.ts';
import { notionIntegrationRoutes } from './routes/notion-integration.ts';
import { notionRoutes } from './routes/notion.ts';
import { vercelIntegrationRoutes } from './routes/vercel-integration.ts';
import { vercelRoutes } from './routes/vercel.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { publishRoutes } from './routes/publish.ts';
import { invitationRoutes } from './routes/invitations.ts';
import { quotaRoutes } from './routes/quotas.ts';
import { evalRoutes } from './routes/evals.ts';
import { safetyRoutes } from './routes/safety.ts';
import { workspaceRoutes } from './routes/workspaces.ts';
import { workspaceCredentialRoutes } from './routes/workspace-credentials.ts';

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: deps.config.bodyLimit,
    trustProxy: deps.config.trustProxy,
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('principal', null);
  installErrorHandling(app);
  await installSecurityHeaders(app, deps.config);
  if (deps.sandboxGate) app.addHook('onRequest', deps.sandboxGate.hook);
  installCrossOriginCheck(app, deps.config.trustedOrigins);
  installLogContext(app);
  installAccessCheck(app, deps.database.db);
  installRequestMetrics(app, deps.metrics);

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Lucid API',
        version: '0.1.0',
        description:
          '[← Back to Lucid](/)\n\n' +
          'Every error answers `{"error": {"code", "message"}}`. Authenticate with a session ' +
          'cookie (sign in at /api/auth/sign-in/email) or `Authorization: Bearer <API token>`.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'better-auth.session_token' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs' });

  await app.register(healthRoutes(deps));
  await app.register(metricsRoutes(deps));
  await app.register(cliPackageRoutes());
  await app.register(authRoutes(deps));
  await app.register(gitRoutes(deps));
  await app.register(llmRoutes(deps));
  await app.register(webhookRoutes(deps));
  await app.register(
    async (api) => {
      api.addHook('onRequest', async (request, reply) => {
        if (request.routeOptions.config.public) return;
        request.principal = await resolvePrincipal(request, {
          db: deps.database.db,
          auth: deps.auth,
        });
        addLogContext(request, reply, { userId: request.principal?.userId });
      });
      await installRateLimit(api, deps.config.rateLimitPerMinute, deps.database.db);
      await api.register(accountRoutes(deps));
      await api.register(tokenRoutes(deps));
      await api.register(repoRoutes(deps));
      await api.register(taskRoutes(deps));
      await api.register(taskStreamRoutes(deps));
      await api.register(modelRoutes(deps));
      await api.register(providerKeyRoutes(deps));
      await api.register(runnerRoutes(deps));
      await api.register(runnerApiRoutes(deps));
      await api.register(boardRoutes(deps));
      await api.register(publishRoutes(deps));
      await api.register(invitationRoutes(deps));
      await api.register(usageRoutes(deps));
      await api.register(quotaRoutes(deps));
      await api.register(evalRoutes(deps));
      await api.register(safetyRoutes(deps));
      await api.register(workspaceRoutes(deps));
      await api.register(workspaceCredentialRoutes(deps));
      await api.register(notionRoutes(deps));
      await api.register(vercelRoutes(deps));
    },
    { prefix: '/api/v1' },
  );
  await app.register(
    async (api) => {
      api.addHook('onRequest', async (request, reply) => {
        request.principal = await resolvePrincipal(request, {
          db: deps.database.db,
          auth: deps.auth,
        });
        addLogContext(request, reply, { userId: request.principal?.userId });
      });
      await api.register(integrationRoutes(deps));
      await api.register(notionIntegrationRoutes(deps));
      await api.register(vercelIntegrationRoutes(deps));
    },
    { prefix: '/api/integrations' },
  );

  const spa = Boolean(deps.webRoot && existsSync(path.join(deps.webRoot, 'index.html')));
  if (spa && deps.webRoot) {
    await app.register(fastifyStatic, { root: deps.webRoot, wildcard: false });
  }
  installNotFound(app, { spa });
  return app;
}
