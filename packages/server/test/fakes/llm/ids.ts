/**
 * @module Identifiers shaped like the providers' own (`msg_01…`, `toolu_01…`, `chatcmpl-…`, `call_…`).
 */
import { randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(length: number): string {
  return Array.from(randomBytes(length), (byte) => BASE62[byte % 62]).join('');
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** Anthropic ids: `msg_01…`, `toolu_01…`, `req_01…`. */
export const anthropicId = (prefix: 'msg' | 'toolu' | 'req'): string => `${prefix}_01${base62(22)}`;

/** OpenAI Chat Completions ids: `chatcmpl-…`, `call_…`. */
export const chatId = (prefix: 'chatcmpl-' | 'call_'): string =>
  `${prefix}${base62(prefix === 'call_' ? 24 : 29)}`;

/** OpenAI Responses ids: `resp_…`, `msg_…`, `fc_…`. */
export const responsesId = (prefix: 'resp' | 'msg' | 'fc'): string => `${prefix}_${hex(24)}`;

/** OpenAI's `x-request-id` value. */
export const openaiRequestId = (): string => `req_${hex(16)}`;
