/**
 * @module http/authenticate
 * Who is calling: an API token (`Authorization: Bearer …`, or the password of HTTP Basic for git),
 * else a better-auth session cookie.
 */
import type { FastifyRequest } from 'fastify';
import { fromNodeHeaders } from 'better-auth/node';
import type { Db } from '../db/client.ts';
import type { Auth } from '../auth/auth.ts';
import { verifyApiToken } from '../auth/api-tokens.ts';
import { AppError } from '../errors.ts';
import type { Principal } from '../principal.ts';

/** The secret presented in an Authorization header: a bearer token or a Basic password. */
export function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const [scheme = '', value = ''] = header.split(/\s+/, 2);
  if (scheme.toLowerCase() === 'bearer') return value;
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? decoded : decoded.slice(colon + 1);
  }
  return undefined;
}

/**
 * Resolves the caller. A presented token that is wrong is an error (never silently anonymous);
 * no credentials at all resolve to null.
 */
export async function resolvePrincipal(
  request: FastifyRequest,
  { db, auth, cookies = true }: { db: Db; auth: Auth; cookies?: boolean },
): Promise<Principal | null> {
  const token = presentedToken(request);
  if (token !== undefined) {
    const found = await verifyApiToken(db, token);
    if (!found) {
      throw new AppError('invalid_credentials', 'The API token is not valid or has been revoked.');
    }
    return { userId: found.userId, tokenId: found.tokenId, ip: request.ip };
  }
  if (!cookies || !request.headers.cookie) return null;
  const session = await auth.api.getSession({ headers: fromNodeHeaders(request.headers) });
  return session ? { userId: session.user.id, tokenId: null, ip: request.ip } : null;
}

/** The caller of an authenticated route. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthorized', 'Sign in or send an API token.');
  return request.principal;
}
