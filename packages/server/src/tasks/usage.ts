/**
 * @module tasks/usage
 * What a task spends on models: each call's usage is recorded as a `usage` row, priced from the
 * price table, and reported as a `usage` event on the task. The LLM gateway records its runs'
 * calls here; task naming records the small model's.
 */
import type { UsagePhase } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { usage as usageTable } from '../db/schema.ts';
import { newId } from '../ids.ts';
import { costOf, type TokenUsage } from '../llm/cost.ts';
import { appendEvents } from './events.ts';

/** Whom a recorded model call is for: a run, or its task alone (`runId` null). */
export interface UsageCaller {
  runId: string | null;
  taskId: string;
  workspaceId: string;
  /** The user who created the task; null when that user is gone. */
  userId: string | null;
}

/**
 * Records one model call's usage for its run, and reports it on the task.
 *
 * @example
 * await recordUsage(db, { caller, model: 'anthropic/claude-sonnet-4-5', usage: { inputTokens: 10, outputTokens: 2 } });
 */
export async function recordUsage(
  db: Db,
  {
    caller,
    model,
    usage,
    phase = 'code',
  }: {
    caller: UsageCaller;
    model: string;
    usage: TokenUsage;
    /** What the call was for: planning, coding (the default), a title, a summary. */
    phase?: UsagePhase;
  },
): Promise<void> {
  const costUsd = costOf(model, usage).usd;
  const cached = usage.cachedInputTokens ?? 0;
  const written = usage.cacheWriteTokens ?? 0;
  await db.insert(usageTable).values({
    id: newId('use'),
    ...caller,
    model,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cachedInputTokens: cached,
    cacheWriteTokens: written,
    costUsd,
    phase,
  });
  await appendEvents(db, {
    taskId: caller.taskId,
    runId: caller.runId,
    events: [
      {
        type: 'usage',
        model,
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        ...(cached ? { cachedInputTokens: cached } : {}),
        ...(written ? { cacheWriteTokens: written } : {}),
        costUsd,
      },
    ],
  });
}
