/**
 * @module cli/server-url
 * The base URL of a Lucid server as the CLI accepts it: http(s), no credentials, no query, and no
 * trailing slash, so it can be compared and joined with API paths.
 */
import { CliError } from './cli-error.ts';

/**
 * Checks and normalises a server URL; `source` names where it came from, for the error message.
 *
 * @example
 * parseServerUrl('http://localhost:3000/', '--server'); // 'http://localhost:3000'
 */
export function parseServerUrl(raw: string, source: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw notHttp(raw, source);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw notHttp(raw, source);
  if (url.username || url.password) {
    throw new CliError(
      `${source} must not hold credentials; pass the API token with --token or LUCID_TOKEN`,
    );
  }
  if (url.search || url.hash) {
    throw new CliError(`${source} must be the server's base URL, without "?" or "#" parts`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function notHttp(raw: string, source: string): CliError {
  return new CliError(
    `${source} must be an http:// or https:// URL such as http://localhost:3000, not "${raw}"`,
  );
}
