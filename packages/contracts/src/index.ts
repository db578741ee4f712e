/**
 * @module @lucid/contracts
 * The zod schemas shared by the Lucid server and web app: REST bodies and the error taxonomy.
 */
export * from './errors.ts';
export * from './common.ts';
export * from './tokens.ts';
export * from './repos.ts';
export * from './account.ts';
export * from './plan.ts';
export * from './events.ts';
export * from './runners.ts';
export * from './tasks.ts';
export * from './live.ts';
export * from './models.ts';
export * from './provider-keys.ts';
export * from './forges.ts';
export * from './publish.ts';
export * from './board.ts';
export * from './invitations.ts';
export * from './usage.ts';
export * from './quotas.ts';
export * from './workspaces.ts';
export * from './notion.ts';
export * from './safety.ts';
export * from './replay.ts';
export * from './vercel.ts';
export * from './attempts.ts';
export * from './evals.ts';
export * from './timeline.ts';
