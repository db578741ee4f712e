/**
 * @module http/security-headers
 * Security headers on every answer (HTML, API and errors alike), by helmet: a Content Security
 * Policy that lets pages load only Lucid's own scripts and nothing frame them, `X-Frame-Options`,
 * `X-Content-Type-Options: nosniff`, a same-origin `Referrer-Policy`, and HSTS behind https.
 */
import type { FastifyInstance } from 'fastify';
import fastifyHelmet from '@fastify/helmet';
import type { Config } from '../config.ts';

/** Gravatar, which GitLab falls back to for accounts without an avatar of their own. */
const GRAVATAR = ['https://secure.gravatar.com', 'https://www.gravatar.com'];

/** Where the forges' account avatars (shown on the integrations page) are served from. */
function avatarOrigins(forges: Config['forges']): string[] {
  const github = new URL(forges.github.webUrl);
  const githubAvatars =
    github.hostname === 'github.com'
      ? ['https://avatars.githubusercontent.com']
      : // GitHub Enterprise Server: on its own host, or its avatars subdomain when isolated.
        [github.origin, `${github.protocol}//avatars.${github.host}`];
  return [...new Set([...githubAvatars, new URL(forges.gitlab.webUrl).origin, ...GRAVATAR])];
}

/**
 * Registers the headers for every route registered after it; call it before the routes.
 *
 * @example
 * await installSecurityHeaders(app, config);
 */
export async function installSecurityHeaders(
  app: FastifyInstance,
  config: Pick<Config, 'publicUrl' | 'forges'>,
): Promise<void> {
  const https = config.publicUrl.startsWith('https://');
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        imgSrc: ["'self'", 'data:', ...avatarOrigins(config.forges)],
        objectSrc: ["'none'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        // Widgets such as the terminal (xterm.js) add <style> elements of their own.
        styleSrc: ["'self'", "'unsafe-inline'"],
        ...(https && { upgradeInsecureRequests: [] }),
      },
    },
    frameguard: { action: 'deny' },
    // Not no-referrer: under it browsers send `Origin: null` with the app's own writes.
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: https ? { maxAge: 15_552_000, includeSubDomains: false } : false,
  });
}
