/**
 * @module tasks/task-naming
 * A task's title and branch slug, proposed by the small model (LUCID_SMALL_MODEL) from the task's
 * prompt. The answer is checked (the slug must match the branch rules); on any failure — no small
 * model, an error, a slow answer, a malformed one — the task is named from its own words instead
 * ({@link taskBranch}'s deterministic slug). What the call used is recorded on the task.
 */
import { readFileSync } from 'node:fs';
import { generateText } from 'ai';
import type { Logger } from 'pino';
import type { TokenUsage } from '../llm/cost.ts';
import { resolveModel, usableModel } from '../llm/models.ts';
import type { LlmConfig } from '../config.ts';

const INSTRUCTIONS = readFileSync(new URL('./prompts/name-task.txt', import.meta.url), 'utf8');

/** How long task creation waits for the small model before naming the task itself. */
const TIMEOUT_MS = 10_000;
const PROMPT_CHARS = 4000;

/** The longest title a task is named from its prompt's first line. */
const TITLE_FROM_PROMPT_CHARS = 80;
/** The longest title the small model may give. */
const TITLE_MAX_CHARS = 200;

/**
 * `text` on one line, cut at a word boundary with an ellipsis when it is longer than `max`
 * characters (the ellipsis included); a single word longer than half of `max` is cut inside.
 *
 * @example
 * cutTitle('Make the sign-in page remember the last email address used', 30); // → 'Make the sign-in page…'
 */
export function cutTitle(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  let head = flat.slice(0, max - 1);
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  const space = flat.charAt(max - 1) === ' ' ? head.length : head.lastIndexOf(' ');
  const cut = space >= max / 2 ? head.slice(0, space) : head;
  return `${cut.replace(/[\s.,;:!?-]+$/, '')}…`;
}

/**
 * A task's title from its prompt, when neither its creator nor the small model gave one: the
 * first line, cut at a word boundary.
 *
 * @example
 * titleFromPrompt('Fix the login loop\n\nIt happens after…'); // → 'Fix the login loop'
 */
export function titleFromPrompt(prompt: string): string {
  return cutTitle(prompt.trim().split('\n')[0] ?? '', TITLE_FROM_PROMPT_CHARS) || 'Task';
}

export interface TaskNames {
  title?: string;
  slug?: string;
  /** What the model call used, to record once the task exists. */
  usage?: { model: string; tokens: TokenUsage };
}

/**
 * Asks the small model for a title and a branch slug; `{}` when there is none or it fails.
 *
 * @example
 * await proposeTaskNames(llm, 'The login page loops forever after…'); // → { title: 'Fix the login loop', slug: 'fix-login-loop', usage }
 */
export async function proposeTaskNames(
  llm: LlmConfig,
  prompt: string,
  log?: Pick<Logger, 'warn'>,
): Promise<TaskNames> {
  if (!llm.smallModel) return {};
  try {
    const model = usableModel(llm, llm.smallModel);
    const result = await generateText({
      model: resolveModel(llm, model),
      system: INSTRUCTIONS,
      prompt: prompt.slice(0, PROMPT_CHARS),
      maxOutputTokens: 100,
      maxRetries: 1,
      abortSignal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const usage = {
      model,
      tokens: {
        inputTokens: result.usage.inputTokens ?? 0,
        outputTokens: result.usage.outputTokens ?? 0,
        cachedInputTokens: result.usage.inputTokenDetails.cacheReadTokens ?? 0,
        cacheWriteTokens: result.usage.inputTokenDetails.cacheWriteTokens ?? 0,
      },
    };
    return { ...parseNames(result.text), usage };
  } catch (error) {
    log?.warn({ err: error }, 'the small model did not name the task; naming it from its words');
    return {};
  }
}

/**
 * Reads `title:` and `branch:` lines; a slug is kept only when it is 2–40 characters of a-z, 0-9
 * and single hyphens.
 *
 * @example
 * parseNames('title: Fix login\nbranch: fix-login'); // → { title: 'Fix login', slug: 'fix-login' }
 */
export function parseNames(text: string): { title?: string; slug?: string } {
  const line = (key: string) =>
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.toLowerCase().startsWith(`${key}:`))
      ?.slice(key.length + 1)
      .trim()
      .replace(/^["'`]|["'`]$/g, '');
  const given = line('title');
  const title = given === undefined ? undefined : cutTitle(given, TITLE_MAX_CHARS);
  const slug = line('branch')?.toLowerCase();
  return {
    ...(title ? { title } : {}),
    ...(slug && /^[a-z0-9]+(-[a-z0-9]+)*$/.test(slug) && slug.length <= 40 ? { slug } : {}),
  };
}
