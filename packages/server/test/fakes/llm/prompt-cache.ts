/**
 * @module The providers' prompt caches as the fake LLM server plays them, and their refusal of a
 * request longer than the model's context window. Anthropic caches the prefix up to each block
 * marked `cache_control` (tools, then system, then messages), reads back the longest cached prefix
 * at a mark or within the 20 blocks before it, and reports `cache_read_input_tokens` and
 * `cache_creation_input_tokens`. OpenAI caches every prefix of 1024 tokens or more by itself (per
 * `prompt_cache_key` when one is sent) and reports the cached part, in steps of 128 tokens, as
 * `cached_tokens`. Token counts are the fake's estimate: four characters a token of the JSON.
 */
import { createHash } from 'node:crypto';
import type { LlmProtocol, Reply } from './protocol.ts';
import { estimateTokens } from './script.ts';

/** What a request read from and wrote to the cache, in tokens. */
export interface CacheUse {
  read: number;
  written: number;
}

type Fields = Record<string, unknown>;

const LOOKBACK = 20;
const OPENAI_MIN = 1024;
const OPENAI_STEP = 128;

function withoutMarks(block: unknown): unknown {
  if (!block || typeof block !== 'object' || Array.isArray(block)) return block;
  const { cache_control: _mark, ...rest } = block as Fields;
  return rest;
}

const isMarked = (block: unknown) =>
  Boolean(block && typeof block === 'object' && (block as Fields).cache_control);

/** The blocks of a request in the order a provider caches them, each with its mark. */
function anthropicBlocks(body: Fields): Array<{ json: string; marked: boolean }> {
  const blocks: Array<{ json: string; marked: boolean }> = [];
  const add = (block: unknown, role?: string) =>
    blocks.push({
      json: JSON.stringify(role ? [role, withoutMarks(block)] : withoutMarks(block)),
      marked: isMarked(block),
    });
  for (const tool of (body.tools as unknown[] | undefined) ?? []) add(tool);
  const system = body.system;
  if (typeof system === 'string') add({ type: 'text', text: system });
  else for (const block of (system as unknown[] | undefined) ?? []) add(block);
  for (const message of (body.messages as Fields[] | undefined) ?? []) {
    const role = String(message.role);
    if (typeof message.content === 'string') add({ type: 'text', text: message.content }, role);
    else for (const block of (message.content as unknown[]) ?? []) add(block, role);
  }
  return blocks;
}

function openaiBlocks(body: Fields): string[] {
  const blocks: string[] = [];
  if (typeof body.instructions === 'string') blocks.push(JSON.stringify(body.instructions));
  for (const tool of (body.tools as unknown[] | undefined) ?? []) blocks.push(JSON.stringify(tool));
  const items = (body.messages ?? body.input) as unknown;
  if (typeof items === 'string') blocks.push(JSON.stringify(items));
  else for (const item of (items as unknown[] | undefined) ?? []) blocks.push(JSON.stringify(item));
  return blocks;
}

/** Running hashes and token counts of each prefix of `blocks`. */
function prefixes(blocks: readonly string[]): Array<{ hash: string; tokens: number }> {
  const hash = createHash('sha256');
  let tokens = 0;
  return blocks.map((json) => {
    hash.update(json);
    tokens += estimateTokens(json);
    return { hash: hash.copy().digest('hex'), tokens };
  });
}

/** The prompt caches of one fake server. */
export class PromptCaches {
  private readonly anthropic = new Map<string, number>();
  private readonly openai = new Map<string, Set<string>>();

  /** What an Anthropic request reads and writes; `total` is its whole input. */
  anthropicUse(body: Fields, total: number): CacheUse {
    const blocks = anthropicBlocks(body);
    const prefix = prefixes(blocks.map((block) => block.json));
    const marks = blocks.flatMap((block, index) => (block.marked ? [index] : []));
    let read = 0;
    for (const mark of marks) {
      for (let at = mark; at >= Math.max(0, mark - LOOKBACK); at--) {
        const cached = this.anthropic.get(prefix[at]!.hash);
        if (cached !== undefined) {
          read = Math.max(read, cached);
          break;
        }
      }
    }
    const last = marks.at(-1);
    const upTo = last === undefined ? 0 : prefix[last]!.tokens;
    for (const mark of marks) this.anthropic.set(prefix[mark]!.hash, prefix[mark]!.tokens);
    const scale = (tokens: number) => Math.min(tokens, total);
    return { read: scale(read), written: scale(Math.max(0, upTo - read)) };
  }

  /** What an OpenAI request (Chat Completions or Responses) reads from the cache. */
  openaiUse(body: Fields, total: number): CacheUse {
    const key = `${String(body.model)}\n${String(body.prompt_cache_key ?? '')}`;
    const seen = this.openai.get(key) ?? new Set<string>();
    this.openai.set(key, seen);
    const prefix = prefixes(openaiBlocks(body));
    let read = 0;
    for (const { hash, tokens } of prefix) if (seen.has(hash)) read = tokens;
    for (const { hash } of prefix) seen.add(hash);
    const cached = read >= OPENAI_MIN ? Math.floor(read / OPENAI_STEP) * OPENAI_STEP : 0;
    return { read: Math.min(cached, total), written: 0 };
  }

  clear(): void {
    this.anthropic.clear();
    this.openai.clear();
  }
}

/**
 * The provider's refusal of a request of `tokens` input tokens over a `window`-token context, in
 * its own error shape.
 */
export function contextLengthReply(protocol: LlmProtocol, tokens: number, window: number): Reply {
  if (protocol === 'anthropic') {
    return {
      status: 400,
      headers: {},
      body: {
        type: 'error',
        error: {
          type: 'invalid_request_error',
          message: `prompt is too long: ${tokens} tokens > ${window} maximum`,
        },
      },
    };
  }
  if (protocol === 'gemini') {
    return {
      status: 400,
      headers: {},
      body: {
        error: {
          code: 400,
          message: `The input token count (${tokens}) exceeds the maximum number of tokens allowed (${window}).`,
          status: 'INVALID_ARGUMENT',
        },
      },
    };
  }
  const message =
    protocol === 'openai-responses'
      ? 'Your input exceeds the context window of this model. Please adjust your input and try again.'
      : `This model's maximum context length is ${window} tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.`;
  return {
    status: 400,
    headers: {},
    body: {
      error: {
        message,
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      },
    },
  };
}
