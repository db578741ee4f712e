/**
 * @module publish
 * Publishing work to a forge: landing a branch on a repository's upstream (with its pull or merge
 * request), and the answers to forges' webhook deliveries.
 */
import { z } from 'zod';
import { Id } from './common.ts';

/** Pushes a branch of Lucid's copy to the repository's upstream; `pr` also opens its request. */
export const LandBody = z.object({
  branch: z.string().trim().min(1).max(255),
  pr: z
    .boolean()
    .default(false)
    .describe('Open (or refresh) a pull or merge request into the default branch.'),
});
export type LandBody = z.infer<typeof LandBody>;

export const LandResult = z
  .object({
    branch: z.string(),
    /** The commit the upstream's branch now points at. */
    sha: z.string(),
    pullRequest: z
      .object({
        url: z.string(),
        number: z.number().int().positive(),
        /** False when an open request for the branch was refreshed instead. */
        created: z.boolean(),
      })
      .nullable(),
  })
  .meta({ id: 'LandResult' });
export type LandResult = z.infer<typeof LandResult>;

/** What Lucid did with a webhook delivery. */
export const WebhookAnswer = z.object({
  /**
   * `created`: a task was started; `updated`: a task was moved (its request merged);
   * `duplicate`: this delivery was handled before; `ignored`.
   */
  status: z.enum(['created', 'updated', 'duplicate', 'ignored']),
  taskId: Id.optional(),
  reason: z.string().optional(),
});
export type WebhookAnswer = z.infer<typeof WebhookAnswer>;
