/**
 * @module http/cross-origin
 * Refuses writes a browser sends with the user's session cookie from a page that is not Lucid's
 * own (cross-site request forgery). SameSite=Lax cookies still travel with a POST from another
 * port or subdomain of the same site, so every write that a cookie authenticates must come from
 * a trusted origin: its `Origin` says so, or, without one, its `Sec-Fetch-Site`. A request with an
 * API token is authenticated by the token, never the cookie, and clients that send neither header
 * are not browsers.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import { presentedToken } from './authenticate.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** better-auth's endpoints read only the cookie, whatever Authorization says. */
const COOKIE_ONLY_PATH = /^\/api\/auth(\/|$)/;

/** Whether a cookie, not a token, is what would authenticate this request. */
function cookieAuthenticated(request: FastifyRequest): boolean {
  if (!request.headers.cookie) return false;
  return presentedToken(request) === undefined || COOKIE_ONLY_PATH.test(request.url);
}

/**
 * Where the request came from when that is not a trusted origin: the untrusted `Origin`, or the
 * `Sec-Fetch-Site` a browser sent without one; null when the request may go on.
 *
 * @example
 * untrustedSource({ origin: 'https://evil.example' }, new Set(['https://lucid.example.com']));
 * // 'https://evil.example'
 */
function untrustedSource(
  headers: { origin?: string | undefined; 'sec-fetch-site'?: string | string[] | undefined },
  trustedOrigins: ReadonlySet<string>,
): string | null {
  const origin = headers.origin;
  if (origin !== undefined && origin !== '') return trustedOrigins.has(origin) ? null : origin;
  const site = headers['sec-fetch-site'];
  if (site === undefined || site === 'same-origin' || site === 'none') return null;
  return `a ${String(site)} page`;
}

/**
 * Installs the check on every route of `app`: a cookie-authenticated write (any method but GET,
 * HEAD and OPTIONS) from an untrusted origin is answered 403 `cross_origin_request`.
 *
 * @example
 * installCrossOriginCheck(app, config.trustedOrigins);
 */
export function installCrossOriginCheck(app: FastifyInstance, trustedOrigins: string[]): void {
  const trusted = new Set(trustedOrigins);
  app.addHook('onRequest', async (request) => {
    if (SAFE_METHODS.has(request.method) || !cookieAuthenticated(request)) return;
    const source = untrustedSource(request.headers, trusted);
    if (source === null) return;
    throw new AppError(
      'cross_origin_request',
      `This request was sent with your Lucid session from ${source}, not from Lucid's own pages, so it was refused. ` +
        "Use Lucid's pages, or an API token (Authorization: Bearer) from other programs; " +
        'a web app of your own on another address can be listed in LUCID_TRUSTED_ORIGINS.',
    );
  });
}
