/**
 * @module HTTP plumbing shared by the fake forges: reading bodies (JSON or form), answering JSON,
 * reading Basic and Bearer credentials, and the log of requests tests assert on.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** One API request as a fake forge received it. */
export interface ForgeRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** The `Authorization` header as sent (or GitLab's `PRIVATE-TOKEN`), if any. */
  authorization: string | undefined;
  /** The raw body text, to assert that no secret travels where it should not. */
  body: string;
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A JSON or form-encoded body as an object of strings (and nested JSON values). */
export function parseBody(req: IncomingMessage, text: string): Record<string, unknown> {
  if (text === '') return {};
  const type = String(req.headers['content-type'] ?? '');
  if (type.includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return Object.fromEntries(new URLSearchParams(text));
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The password of a `Basic` header (git clients send the token there), with its username. */
export function basicCredentials(
  req: IncomingMessage,
): { username: string; password: string } | null {
  const header = req.headers.authorization;
  if (!header?.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
}

/** `base64url(sha256(verifier))`: PKCE's S256 challenge. */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** A webhook on a repository, as its owner adds it in the forge's settings. */
export interface FakeHook {
  id: number;
  url: string;
  secret: string;
}

/** One delivery a fake forge POSTed to a webhook, and the receiver's answer. */
export interface HookDelivery {
  url: string;
  /** The request headers it sent (event, delivery id, signature or token). */
  headers: Record<string, string>;
  status: number;
  /** The answer's body, parsed as JSON when it is. */
  body: unknown;
}

/** POSTs one delivery to a webhook's URL, as the forge's delivery worker does. */
export async function postDelivery(
  url: string,
  delivery: { headers: Record<string, string>; body: string },
): Promise<HookDelivery> {
  const response = await fetch(url, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the text as it came.
  }
  return { url, headers: delivery.headers, status: response.status, body };
}
