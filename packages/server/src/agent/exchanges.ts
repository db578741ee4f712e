/**
 * @module agent/exchanges
 * The built-in agent's model requests as they are recorded and compared: provider-neutral (the
 * AI SDK's `LanguageModelV3` call options: the prompt with its system and other messages, the
 * tool definitions, the call's settings), as JSON. Each request repeats the one before it and adds
 * a step, so it is kept as a change to that one ({@link requestChange}); a run's record then grows
 * with its length, not with its square, and {@link applyChange} gives the whole request back.
 */
import type { ExchangeRequest } from '@lucid/contracts';
import type { CallOptions } from './prompt-cache.ts';

/** A model request whole, as JSON values: what a replay compares. */
export interface FullRequest {
  /** The prompt's messages, the system messages first. */
  messages: unknown[];
  /** The tool definitions, in the order the model is given them. */
  tools: unknown[];
  /** The call's other settings (output limit, tool choice, provider options). */
  settings: Record<string, unknown>;
}

const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null));

/** JSON text with every object's keys sorted: stored JSON (PostgreSQL's jsonb) keeps no key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(
          Object.entries(item as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : item,
  );
}

/**
 * True when two JSON values are alike, whatever the order of their objects' keys; arrays (the
 * messages, the tools) keep theirs.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/**
 * A call to the model as a {@link FullRequest}: what was sent, without the abort signal.
 *
 * @example
 * const sent = requestOf({ ...settings, ...prepared, ...call });
 */
export function requestOf(call: CallOptions): FullRequest {
  const { prompt, tools, abortSignal: _signal, ...settings } = call;
  return {
    messages: json(prompt) as unknown[],
    tools: (json(tools) as unknown[] | null) ?? [],
    settings: json(settings) as Record<string, unknown>,
  };
}

/**
 * `next` as a change to `previous` (the run's request before it, if any): the messages after the
 * longest common start, and the tools and settings when they differ.
 *
 * @example
 * const request = requestChange(last, requestOf(call));
 */
export function requestChange(
  previous: FullRequest | undefined,
  next: FullRequest,
): ExchangeRequest {
  let from = 0;
  if (previous) {
    const limit = Math.min(previous.messages.length, next.messages.length);
    while (from < limit && sameJson(previous.messages[from], next.messages[from])) from += 1;
  }
  return {
    messages: { from, add: next.messages.slice(from) },
    ...(previous && sameJson(previous.tools, next.tools) ? {} : { tools: next.tools }),
    ...(previous && sameJson(previous.settings, next.settings) ? {} : { settings: next.settings }),
  };
}

/**
 * The whole request a recorded change stands for, after `previous`.
 *
 * @example
 * let full: FullRequest | undefined;
 * for (const exchange of exported.exchanges) full = applyChange(full, exchange.request);
 */
export function applyChange(
  previous: FullRequest | undefined,
  change: ExchangeRequest,
): FullRequest {
  return {
    messages: [
      ...(previous?.messages ?? []).slice(0, change.messages.from),
      ...change.messages.add,
    ],
    tools: change.tools ?? previous?.tools ?? [],
    settings: change.settings ?? previous?.settings ?? {},
  };
}
