/**
 * @module git/smart-http
 * The requests of git's smart HTTP protocol that Lucid's git server answers, read by one strict
 * parse: `GET …/info/refs?service=git-upload-pack|git-receive-pack`, `POST …/git-upload-pack` and
 * `POST …/git-receive-pack`, nothing else. What a request does (read or write) is decided here
 * once; `git http-backend` is then handed only the path and query built from the result
 * ({@link smartHttpCgi}), so what Lucid checked is exactly what git runs. Anything else — doubled
 * slashes, dot segments, encoded characters, a doubled or unknown `service=`, the dumb protocol's
 * files — is refused.
 */
import { AppError } from '../errors.ts';

/** The two git programs smart HTTP reaches: fetch and clone, or push. */
export type GitService = 'git-upload-pack' | 'git-receive-pack';

/** One smart-HTTP request: a service's ref advertisement, or the service itself. */
export interface SmartHttpRequest {
  /** `advertise`: `GET /info/refs?service=…`; `rpc`: `POST /<service>`. */
  readonly kind: 'advertise' | 'rpc';
  readonly service: GitService;
}

const SERVICES: readonly GitService[] = ['git-upload-pack', 'git-receive-pack'];

const WHAT_IS_SERVED =
  "Lucid's git server speaks git's smart HTTP protocol only: GET …/info/refs?service=git-upload-pack " +
  '(or git-receive-pack), POST …/git-upload-pack and POST …/git-receive-pack.';

/** Whether the request writes to the repository. */
export function isPush(request: SmartHttpRequest): boolean {
  return request.service === 'git-receive-pack';
}

/**
 * Reads what follows a repository's `.git` in a request's raw URL (`tail`, not decoded) and its raw
 * query; throws `not_found` (404) for any other path, `method_not_allowed` (405) for the wrong
 * method, `bad_request` (400) for any query but exactly one known `service=` on `/info/refs`.
 *
 * @example
 * parseSmartHttp({ method: 'GET', tail: '/info/refs', query: 'service=git-upload-pack' });
 * // → { kind: 'advertise', service: 'git-upload-pack' }
 */
export function parseSmartHttp({
  method,
  tail,
  query,
}: {
  method: string;
  tail: string;
  query: string | null;
}): SmartHttpRequest {
  if (tail === '/info/refs') {
    if (method !== 'GET') {
      throw new AppError('method_not_allowed', `${WHAT_IS_SERVED} ${method} is not one of them.`);
    }
    return { kind: 'advertise', service: serviceOf(query) };
  }
  const service = SERVICES.find((name) => tail === `/${name}`);
  if (!service) throw new AppError('not_found', WHAT_IS_SERVED);
  if (method !== 'POST') {
    throw new AppError('method_not_allowed', `${WHAT_IS_SERVED} ${method} is not one of them.`);
  }
  if (query !== null) {
    throw new AppError('bad_request', `POST …/${service} takes no query string.`);
  }
  return { kind: 'rpc', service };
}

/** The one `service=` of an advertisement's query, written exactly as git clients write it. */
function serviceOf(query: string | null): GitService {
  const pairs = query === null ? [] : query.split('&');
  const named = pairs.filter((pair) => pair.startsWith('service='));
  if (pairs.length !== 1 || named.length !== 1) {
    throw new AppError(
      'bad_request',
      `GET …/info/refs takes exactly one parameter, service=git-upload-pack or ` +
        `service=git-receive-pack (the dumb protocol is not served).`,
    );
  }
  const service = SERVICES.find((name) => named[0] === `service=${name}`);
  if (!service) {
    throw new AppError(
      'bad_request',
      `Unknown git service "${named[0]!.slice('service='.length)}": use git-upload-pack or git-receive-pack.`,
    );
  }
  return service;
}

/**
 * The CGI variables `git http-backend` gets for a parsed request on the repository at `repoDir`
 * (below the project root, such as `repo_x.git`): the canonical path, query and method, never the
 * client's own text.
 *
 * @example
 * smartHttpCgi('repo_x.git', { kind: 'rpc', service: 'git-receive-pack' });
 * // → { PATH_INFO: '/repo_x.git/git-receive-pack', QUERY_STRING: '', REQUEST_METHOD: 'POST' }
 */
export function smartHttpCgi(
  repoDir: string,
  request: SmartHttpRequest,
): { PATH_INFO: string; QUERY_STRING: string; REQUEST_METHOD: 'GET' | 'POST' } {
  return request.kind === 'advertise'
    ? {
        PATH_INFO: `/${repoDir}/info/refs`,
        QUERY_STRING: `service=${request.service}`,
        REQUEST_METHOD: 'GET',
      }
    : { PATH_INFO: `/${repoDir}/${request.service}`, QUERY_STRING: '', REQUEST_METHOD: 'POST' };
}
