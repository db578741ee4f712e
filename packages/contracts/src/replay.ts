/**
 * @module replay
 * A finished run exported as what its agent was given and what passed between it and its model
 * (`GET /api/v1/runs/{id}/export`, `lucid run export`): the document `lucid eval replay` plays
 * back against the current agent loop.
 */
import { z } from 'zod';
import { Id, Timestamp } from './common.ts';
import { RunStatus } from './events.ts';
import { ModelExchange } from './runners.ts';

/** The export's format version; a change that old documents cannot follow raises it. */
export const RUN_EXPORT_VERSION = 1;

/** One model exchange of an exported run, numbered from 1 in the order they happened. */
export const ExportedExchange = ModelExchange.extend({
  step: z.number().int().min(1),
  /** The last user message the run had read when it was made. */
  afterSeq: z.number().int().min(0),
});
export type ExportedExchange = z.infer<typeof ExportedExchange>;

export const RunExport = z.object({
  format: z.literal('lucid.run-export'),
  version: z.literal(RUN_EXPORT_VERSION),
  run: z.object({
    id: Id,
    taskId: Id,
    status: RunStatus,
    attempt: z.number().int(),
    /** `lucid` (the built-in agent), a CLI agent, or null for a run of commands. */
    agent: z.string().nullable(),
    model: z.string().nullable(),
    startedAt: Timestamp.nullable(),
    finishedAt: Timestamp.nullable(),
    error: z.object({ code: z.string().nullable(), message: z.string().nullable() }),
  }),
  task: z.object({ id: Id, title: z.string() }),
  /** The prompt the run was given, and the user's follow-ups it read while it worked. */
  prompt: z.string().nullable(),
  followUps: z.array(z.string()),
  /** True when the run's model exchanges were recorded: a run of the built-in agent. */
  replayable: z.boolean(),
  exchanges: z.array(ExportedExchange),
  /** The run's events as the task keeps them (masked), oldest first. */
  events: z.array(
    z.object({
      seq: z.number().int(),
      type: z.string(),
      payload: z.record(z.string(), z.unknown()),
    }),
  ),
});
export type RunExport = z.infer<typeof RunExport>;
