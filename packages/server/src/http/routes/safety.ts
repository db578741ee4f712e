/**
 * @module http/routes/safety
 * The safety of the work before it leaves Lucid: a workspace's policy (read by its members, set by
 * an admin), and allowing a task's findings of the secret scan once.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AllowFindingsBody, IdParams, SafetyPolicy, SafetyPolicyView } from '@lucid/contracts';
import { z } from 'zod';
import { recordAudit } from '../../audit/audit.ts';
import { enqueuePublish } from '../../forges/publish-run.ts';
import { allowFindings } from '../../safety/allow.ts';
import { getSafetyPolicy, putSafetyPolicy } from '../../workspaces/safety-policy.ts';
import { principalOf } from '../authenticate.ts';
import type { AppDeps } from '../context.ts';

export const safetyRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.database;

    app.get(
      '/workspaces/:id/safety-policy',
      {
        schema: {
          tags: ['workspaces'],
          summary:
            "The workspace's safety policy: protected paths, the most files a change may touch, commands the agent refuses (members)",
          params: IdParams,
          response: { 200: SafetyPolicyView },
        },
      },
      async (request) =>
        getSafetyPolicy(db, {
          userId: principalOf(request).userId,
          workspaceId: request.params.id,
        }),
    );

    app.put(
      '/workspaces/:id/safety-policy',
      {
        schema: {
          tags: ['workspaces'],
          summary: "Set the workspace's safety policy as a whole (admin)",
          params: IdParams,
          body: SafetyPolicy,
          response: { 200: SafetyPolicyView },
        },
      },
      async (request) => {
        const actor = principalOf(request);
        return putSafetyPolicy(db, {
          userId: actor.userId,
          workspaceId: request.params.id,
          policy: request.body,
          audit: (tx, policy) =>
            recordAudit(tx, {
              actor,
              action: 'workspace.safety_policy',
              targetType: 'workspace',
              targetId: request.params.id,
              workspaceId: request.params.id,
              metadata: policy,
            }),
        });
      },
    );

    app.post(
      '/tasks/:id/safety/allow',
      {
        schema: {
          tags: ['tasks'],
          summary:
            "Allow findings of the task's last secret scan once, as false positives, and push again (members)",
          params: IdParams,
          body: AllowFindingsBody,
          response: { 200: z.object({ allowed: z.number().int() }) },
        },
      },
      async (request) => {
        await allowFindings(db, {
          actor: principalOf(request),
          taskId: request.params.id,
          fingerprints: request.body.fingerprints,
          retry: async (tx, { task, runId, attempt }) => {
            if (runId) await enqueuePublish(tx, { runId, taskId: task.id, again: attempt });
          },
        });
        return { allowed: new Set(request.body.fingerprints).size };
      },
    );
  };
