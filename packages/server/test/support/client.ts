/**
 * A small HTTP client for tests: signs users up and calls the API as they would, over real HTTP.
 */
import { expect } from 'vitest';

export interface TestUser {
  id: string;
  email: string;
  password: string;
  /** The session cookie from signing up. */
  cookie: string;
  /** An API token made for this user. */
  token: string;
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

let counter = 0;

export async function request<T = unknown>(
  baseUrl: string,
  method: string,
  pathname: string,
  options: {
    token?: string;
    cookie?: string;
    json?: unknown;
    body?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<ApiResponse<T>> {
  // Browsers send Origin with every write; the sign-in endpoints check it.
  const headers: Record<string, string> =
    method === 'GET' ? { ...options.headers } : { origin: baseUrl, ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.cookie = options.cookie;
  let body = options.body;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  const response = await fetch(baseUrl + pathname, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/** The cookie header to send back, from a response's Set-Cookie headers. */
export function cookieFrom(headers: Headers): string {
  return headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

/**
 * Signs a new user up, and makes them an API token. `invitation` is the token of an invitation link,
 * for a server where sign-up is by invitation; `email` replaces the generated address.
 */
export async function signUp(
  baseUrl: string,
  name = 'Test User',
  options: { invitation?: string; email?: string } = {},
): Promise<TestUser> {
  counter += 1;
  const email = options.email ?? `user${counter}-${process.pid}-${Date.now()}@example.test`;
  const password = 'correct horse battery';
  const signup = await request<{ user: { id: string } }>(
    baseUrl,
    'POST',
    '/api/auth/sign-up/email',
    {
      json: {
        email,
        password,
        name,
        ...(options.invitation !== undefined && { invitation: options.invitation }),
      },
    },
  );
  expect(signup.status, JSON.stringify(signup.body)).toBe(200);
  const cookie = cookieFrom(signup.headers);
  const created = await request<{ token: string }>(baseUrl, 'POST', '/api/v1/tokens', {
    cookie,
    json: { name: 'tests' },
  });
  expect(created.status).toBe(201);
  return { id: signup.body.user.id, email, password, cookie, token: created.body.token };
}
