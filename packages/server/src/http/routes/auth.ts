/**
 * @module http/routes/auth
 * better-auth's endpoints at `/api/auth/*` (sign-up, sign-in, sign-out, sessions, social sign-in),
 * bridged from Fastify to its Fetch handler; and which sign-in methods are offered.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AuthProviders } from '@lucid/contracts';
import { CLIENT_IP_HEADER, authProviders } from '../../auth/auth.ts';
import type { AppDeps } from '../context.ts';

export const authRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.route({
      method: ['GET', 'POST'],
      url: '/api/auth/*',
      config: { public: true },
      schema: { hide: true },
      handler: async (request, reply) => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(request.headers)) {
          if (value === undefined || name.toLowerCase() === CLIENT_IP_HEADER) continue;
          headers.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        headers.set(CLIENT_IP_HEADER, request.ip);
        const hasBody = request.method !== 'GET' && request.body !== undefined;
        if (hasBody) headers.set('content-type', 'application/json');
        headers.delete('content-length');
        const response = await deps.auth.handler(
          new Request(new URL(request.url, deps.config.publicUrl), {
            method: request.method,
            headers,
            body: hasBody ? JSON.stringify(request.body) : undefined,
          }),
        );
        reply.status(response.status);
        for (const [name, value] of response.headers) {
          if (name !== 'set-cookie') reply.header(name, value);
        }
        const cookies = response.headers.getSetCookie();
        if (cookies.length > 0) reply.header('set-cookie', cookies);
        return reply.send(response.body ? Buffer.from(await response.arrayBuffer()) : null);
      },
    });

    app.get(
      '/api/v1/auth/providers',
      {
        config: { public: true },
        schema: {
          tags: ['account'],
          summary: 'The sign-in methods this server offers, and who may sign up',
          response: { 200: AuthProviders },
        },
      },
      async () => authProviders(deps.database.db, deps.config),
    );
  };
