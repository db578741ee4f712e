/**
 * @module http/routes/health
 * `GET /healthz`: the server answers and its database does too. `GET /readyz`: the server can do
 * its work: the database answers, the git store takes a file and lists its folder, and, when this
 * server runs sandboxes on a Docker engine, the engine answers; 503 names the checks that failed.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../context.ts';

const Check = z.object({ ok: z.boolean(), error: z.string().optional() });
const Readiness = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({ database: Check, git: Check, engine: Check.optional() }),
});
type Check = z.infer<typeof Check>;

/** Runs one check; a failure says `what` failed, then why. */
async function check(what: string, probe: () => Promise<unknown>): Promise<Check> {
  try {
    await probe();
    return { ok: true };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { ok: false, error: `${what}: ${why}` };
  }
}

/** The git store takes a new file and lists its folder (a read-only or missing store fails). */
async function probeGitStore(gitRoot: string): Promise<void> {
  const probe = path.join(gitRoot, `.ready-${randomBytes(6).toString('hex')}`);
  await writeFile(probe, '');
  await rm(probe, { force: true });
  await readdir(gitRoot);
}

export const healthRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/healthz',
      {
        config: { public: true },
        schema: {
          tags: ['meta'],
          summary: 'Liveness and database check',
          response: { 200: z.object({ status: z.literal('ok'), database: z.string() }) },
        },
      },
      async () => {
        await deps.database.db.execute(sql`select 1`);
        return { status: 'ok' as const, database: deps.database.kind };
      },
    );

    app.get(
      '/readyz',
      {
        config: { public: true },
        schema: {
          tags: ['meta'],
          summary: 'Readiness: the database, the git store and the sandbox engine',
          description:
            'Answers 200 when every check passes, 503 naming the checks that failed. The engine ' +
            'is checked only when this server runs its own runner on the Docker driver.',
          response: { 200: Readiness, 503: Readiness },
        },
      },
      async (_request, reply) => {
        const [database, git, engine] = await Promise.all([
          check('The database did not answer', () => deps.database.db.execute(sql`select 1`)),
          check('The git store cannot be written', () => probeGitStore(deps.gitRoot)),
          deps.engine
            ? check('The Docker engine did not answer', () => deps.engine!.ping())
            : Promise.resolve(undefined),
        ]);
        const checks = { database, git, ...(engine ? { engine } : {}) };
        const ready = Object.values(checks).every((c) => c.ok);
        return reply
          .code(ready ? 200 : 503)
          .send({ status: ready ? ('ready' as const) : ('not_ready' as const), checks });
      },
    );
  };
