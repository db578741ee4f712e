/**
 * @module The shape each wire protocol of the fake LLM server fills in: request checks, JSON answers,
 * streamed events and error bodies.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Fault } from './faults.ts';
import type { ScriptedUsage } from './script.ts';

/** The model APIs the fake speaks. */
export type LlmProtocol = 'anthropic' | 'openai-chat' | 'openai-responses' | 'gemini';

/** A turn ready to be written: a script step resolved against one request. */
export interface Turn {
  model: string;
  text: string;
  /** How the text streams, when the script says (see `textPieces` in script.ts). */
  textPieces?: string[] | undefined;
  reasoning?: { text: string; signature: string } | undefined;
  toolCalls: Array<{
    id: string;
    name: string;
    input: Record<string, unknown>;
    rawInput?: string | undefined;
  }>;
  usage: Required<ScriptedUsage>;
}

/** One server-sent event; a string `data` is written as is (OpenAI's `[DONE]`). */
export interface SseEvent {
  event?: string;
  data: unknown;
}

/** A complete non-streamed HTTP answer. */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** What the fake needs from one protocol. */
export interface ProtocolAdapter {
  /** Headers every answer carries (request ids and the like). */
  responseHeaders(): Record<string, string>;
  /** Authentication and required fields; an error reply when the request would be refused. */
  check(headers: IncomingHttpHeaders, body: unknown, apiKey: string | undefined): Reply | undefined;
  /** Generates tool call ids in the protocol's format. */
  toolCallId(): string;
  json(turn: Turn): unknown;
  stream(turn: Turn, body: Record<string, unknown>): SseEvent[];
  error(fault: Fault): Reply;
}

/** The bearer token of an `Authorization` header, if any. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '');
  return match?.[1];
}

/** Whether a parsed body is a JSON object. */
export function isObject(body: unknown): body is Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body);
}
