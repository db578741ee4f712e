/**
 * @module vercel/client
 * Every call Lucid makes to Vercel, through the official `@vercel/sdk` with `serverURL` =
 * VERCEL_API_URL and the connection's team as `teamId`: whose a token is, projects, file uploads,
 * deployments and their build events, promotion and rollback. Vercel's answers are read into the
 * few fields Lucid uses; its errors become {@link VercelApiError} (status and Vercel's own
 * message), and {@link vercelFailure} turns them into AppErrors.
 */
import { Vercel } from '@vercel/sdk';
import { VercelError } from '@vercel/sdk/models/vercelerror.js';
import type { VercelConfig } from '../config.ts';
import { AppError } from '../errors.ts';

/** A Vercel project, as Lucid reads it. */
export interface VercelProjectInfo {
  id: string;
  name: string;
  /** The forge repository Vercel builds it from: `github` and `owner/name`, or null. */
  link: { type: string; org: string; repo: string; repoId: number | null } | null;
}

/** A deployment, as Lucid reads it. */
export interface VercelDeploymentInfo {
  id: string;
  /** Its address, with `https://`. */
  url: string;
  readyState: string;
  errorMessage: string | null;
}

/** A line of a deployment's build output. */
export interface VercelBuildEvent {
  type: 'command' | 'stdout' | 'stderr';
  created: number;
  text: string;
}

/** What a deployment is made from: a commit of a forge repository Vercel reads, or files. */
export type DeploymentSource =
  | { gitSource: { type: 'github'; org: string; repo: string; ref: string; sha: string } }
  | { files: { file: string; sha: string; size: number }[] };

/** The calls Lucid makes to Vercel with one token, in one team. */
export interface VercelApi {
  user(): Promise<{ id: string; username: string }>;
  projects(search?: string): Promise<VercelProjectInfo[]>;
  project(idOrName: string): Promise<VercelProjectInfo>;
  uploadFile(content: Buffer, sha: string): Promise<void>;
  createPreview(input: {
    project: string;
    source: DeploymentSource;
    meta: Record<string, string>;
  }): Promise<VercelDeploymentInfo>;
  deployment(id: string): Promise<VercelDeploymentInfo>;
  events(id: string, since: number | null): Promise<VercelBuildEvent[]>;
  promote(projectId: string, deploymentId: string): Promise<void>;
  rollback(projectId: string, deploymentId: string): Promise<void>;
}

/** Vercel refused or failed a call: its status, its error code and its own message. */
export class VercelApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'VercelApiError';
  }
}

/** Vercel's error body (`{error:{code,message}}`) as a VercelApiError; other failures unchanged. */
function asApiError(error: unknown): unknown {
  if (!(error instanceof VercelError)) return error;
  let code = 'unknown';
  let message = `Vercel answered ${error.statusCode}`;
  try {
    const body = JSON.parse(error.body) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // not JSON: the status says enough
  }
  return new VercelApiError(error.statusCode, code, message);
}

async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asApiError(error);
  }
}

function projectInfo(project: { id: string; name: string; link?: unknown }): VercelProjectInfo {
  const link = project.link as
    { type?: string; org?: string; repo?: string; repoId?: number } | undefined;
  return {
    id: project.id,
    name: project.name,
    link:
      link?.type && link.org && link.repo
        ? { type: link.type, org: link.org, repo: link.repo, repoId: link.repoId ?? null }
        : null,
  };
}

/** A deployment as Vercel's REST API answers it (the fields Lucid reads). */
interface RawDeployment {
  id: string;
  url: string;
  readyState?: string | undefined;
  status?: string | undefined;
  errorMessage?: string | null | undefined;
}

function deploymentInfo(deployment: RawDeployment): VercelDeploymentInfo {
  return {
    id: deployment.id,
    url: deployment.url.startsWith('http') ? deployment.url : `https://${deployment.url}`,
    readyState: deployment.readyState ?? deployment.status ?? 'QUEUED',
    errorMessage: deployment.errorMessage ?? null,
  };
}

/**
 * Vercel's API for `token`, acting in `teamId` when given.
 *
 * @example
 * const api = vercelApi(config.vercel, token, 'team_abc');
 * await api.user(); // → { id: 'user_…', username: 'ada' }
 */
export function vercelApi(config: VercelConfig, token: string, teamId: string | null): VercelApi {
  const sdk = new Vercel({ bearerToken: token, serverURL: config.apiUrl });
  const team = teamId ? { teamId } : {};
  /**
   * A call by fetch, for deployments: the SDK reads a deployment through a union of three shapes
   * and keeps the one whose enum values it all knows, which drops `url` and `errorMessage` from
   * any answer carrying a value newer than the SDK (Vercel adds them often).
   */
  async function rest<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(config.apiUrl + path);
    if (teamId) url.searchParams.set('teamId', teamId);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new VercelApiError(
        0,
        'unreachable',
        error instanceof Error ? error.message : 'fetch failed',
      );
    }
    const text = await response.text();
    if (!response.ok) {
      let found: { code?: string; message?: string } | undefined;
      try {
        found = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
      } catch {
        // not JSON: the status says enough
      }
      throw new VercelApiError(
        response.status,
        found?.code ?? 'unknown',
        found?.message ?? `Vercel answered ${response.status}`,
      );
    }
    return JSON.parse(text) as T;
  }
  return {
    user: () =>
      call(async () => {
        const answer = await sdk.user.getAuthUser();
        const found = answer?.user as { id: string; username: string } | undefined;
        if (!found)
          throw new VercelApiError(502, 'unknown', 'Vercel did not say whose the token is');
        return { id: found.id, username: found.username };
      }),
    projects: (search) =>
      call(async () => {
        const answer = await sdk.projects.getProjects({ ...team, ...(search ? { search } : {}) });
        const list = (answer as { projects?: { id: string; name: string; link?: unknown }[] })
          .projects;
        return (list ?? []).map(projectInfo);
      }),
    project: (idOrName) =>
      call(async () => projectInfo(await sdk.projects.getProject({ idOrName, ...team }))),
    uploadFile: (content, sha) =>
      call(async () => {
        await sdk.deployments.uploadFile({
          ...team,
          xVercelDigest: sha,
          contentLength: content.length,
          requestBody: new Uint8Array(content),
        });
      }),
    // No `target`: Vercel makes a preview. Production is reached only by promote and rollback.
    createPreview: ({ project, source, meta }) =>
      rest<RawDeployment>('POST', '/v13/deployments', {
        name: project,
        project,
        meta,
        ...source,
      }).then(deploymentInfo),
    deployment: (id) =>
      rest<RawDeployment>('GET', `/v13/deployments/${encodeURIComponent(id)}`).then(deploymentInfo),
    events: (id, since) =>
      call(async () => {
        const answer = await sdk.deployments.getDeploymentEvents({
          idOrUrl: id,
          ...team,
          ...(since !== null ? { since } : {}),
          direction: 'forward',
          limit: -1,
        });
        const list = Array.isArray(answer) ? (answer as unknown[]) : [];
        return list.flatMap((raw): VercelBuildEvent[] => {
          const event = raw as { type?: string; created?: number; payload?: { text?: string } };
          const type = event.type;
          if (type !== 'command' && type !== 'stdout' && type !== 'stderr') return [];
          return [{ type, created: event.created ?? 0, text: event.payload?.text ?? '' }];
        });
      }),
    promote: (projectId, deploymentId) =>
      call(() => sdk.projects.requestPromote({ projectId, deploymentId, ...team })),
    rollback: (projectId, deploymentId) =>
      call(() => sdk.projects.requestRollback({ projectId, deploymentId, ...team })),
  };
}

/** Any failure of a call to Vercel as an AppError with a sentence in Vercel's words. */
export function vercelFailure(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof VercelApiError) {
    if (error.status === 401 || error.status === 403) {
      return new AppError(
        'invalid_vercel_token',
        `Vercel refused Lucid's token (${error.message}): connect Vercel again in Settings → Integrations.`,
      );
    }
    if (error.status === 404) {
      return new AppError('not_found', `Vercel does not know it: ${error.message}.`);
    }
    if (error.status === 429) {
      return new AppError('rate_limited', 'Vercel is limiting the rate of Lucid’s requests.');
    }
    if (error.status < 500) return new AppError('bad_request', `Vercel refused: ${error.message}.`);
    return new AppError('vercel_error', `Vercel answered ${error.status}: ${error.message}.`);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new AppError('vercel_error', `Vercel could not be reached: ${message}.`);
}
