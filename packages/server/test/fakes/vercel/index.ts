/**
 * @module A faithful fake of Vercel's REST API for tests, on one loopback port. It speaks the wire
 * format of what Lucid uses: `GET /v2/user`, projects (`/v9/projects[/{idOrName}]`), file uploads
 * (`POST /v2/files` with `x-vercel-digest`), deployments from a git source or from uploaded files
 * (`POST /v13/deployments`, `GET /v13/deployments/{id}`) that move QUEUED → BUILDING → READY (or
 * ERROR when a test scripts it) on their own, their build events (`GET /v3/deployments/{id}/events`),
 * promotion (`POST /v10/projects/{id}/promote/{deploymentId}`) and rollback
 * (`POST /v1|v9/projects/{id}/rollback/{deploymentId}`); the `teamId` query; Vercel's error bodies
 * (`{error:{code,message}}`) with 400, 403 and 404.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendJson } from '../forge-shared/http.ts';

/** One request as the fake received it. */
export interface VercelRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  body: string;
}

export interface FakeVercelProject {
  id: string;
  name: string;
  accountId: string;
  /** The forge repository Vercel builds the project from, if it is linked to one. */
  link: { type: 'github'; org: string; repo: string; repoId: number } | null;
  /** The deployment serving production now. */
  production: string | null;
  /** The deployments that served production, oldest first. */
  productionHistory: string[];
  /** Builds of this project end in ERROR with this message, while set. */
  failBuilds: string | null;
}

export interface FakeBuildEvent {
  type: 'command' | 'stdout' | 'stderr';
  created: number;
  text: string;
}

export interface FakeDeployment {
  id: string;
  projectId: string;
  name: string;
  url: string;
  state: 'QUEUED' | 'BUILDING' | 'READY' | 'ERROR' | 'CANCELED';
  target: 'production' | 'staging' | null;
  createdAt: number;
  gitSource: Record<string, unknown> | null;
  /** Uploaded files by path: their sha1. */
  files: Record<string, string>;
  meta: Record<string, string>;
  events: FakeBuildEvent[];
  errorMessage: string | null;
}

export interface FakeVercel {
  url: string;
  /** A valid token of the fake's one account. */
  token: string;
  username: string;
  requests: VercelRequest[];
  /** Uploaded file contents by sha1. */
  uploads: Map<string, Buffer>;
  addProject(input: { name: string; link?: FakeVercelProject['link'] }): FakeVercelProject;
  project(id: string): FakeVercelProject;
  deployments(): FakeDeployment[];
  deployment(id: string): FakeDeployment;
  /** Promotions and rollbacks asked for, in order. */
  productionCalls: { kind: 'promote' | 'rollback'; projectId: string; deploymentId: string }[];
  stop(): Promise<void>;
}

function vercelError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Starts the fake. `stepMs` is how long a deployment stays in each state before the next; `teamId`
 * is the one team the token may act in (any other answers 403).
 *
 * @example
 * const vercel = await startFakeVercel();
 * const project = vercel.addProject({ name: 'web' });
 * env: { VERCEL_API_URL: vercel.url }
 */
export async function startFakeVercel(
  options: { stepMs?: number; teamId?: string } = {},
): Promise<FakeVercel> {
  const stepMs = options.stepMs ?? 150;
  const token = `vercel_${randomBytes(12).toString('hex')}`;
  const accountId = `user_${randomBytes(6).toString('hex')}`;
  const username = 'lucid-fake';
  const teamId = options.teamId ?? 'team_fake';
  const projects = new Map<string, FakeVercelProject>();
  const deployments = new Map<string, FakeDeployment>();
  const uploads = new Map<string, Buffer>();
  const requests: VercelRequest[] = [];
  const productionCalls: FakeVercel['productionCalls'] = [];
  const timers = new Set<NodeJS.Timeout>();
  let url = '';

  function later(ms: number, step: () => void): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      step();
    }, ms);
    timers.add(timer);
  }

  function findProject(idOrName: string): FakeVercelProject | undefined {
    return projects.get(idOrName) ?? [...projects.values()].find((p) => p.name === idOrName);
  }

  function deploymentJson(d: FakeDeployment) {
    const project = projects.get(d.projectId);
    return {
      id: d.id,
      uid: d.id,
      name: d.name,
      url: d.url,
      readyState: d.state,
      status: d.state,
      type: 'LAMBDAS',
      target: d.target,
      projectId: d.projectId,
      ownerId: accountId,
      createdAt: d.createdAt,
      buildingAt: d.createdAt,
      ready: d.state === 'READY' ? d.createdAt + 2 * stepMs : undefined,
      readySubstate:
        d.state === 'READY' ? (project?.production === d.id ? 'PROMOTED' : 'STAGED') : undefined,
      creator: { uid: accountId, username },
      meta: d.meta,
      gitSource: d.gitSource ?? undefined,
      alias: [],
      aliasAssigned: project?.production === d.id,
      inspectorUrl: `https://vercel.com/${username}/${d.name}/${d.id.slice(4)}`,
      errorCode: d.state === 'ERROR' ? 'BUILD_FAILED' : undefined,
      errorMessage: d.errorMessage ?? undefined,
      version: 2,
      regions: ['iad1'],
      public: false,
      plan: 'hobby',
      createdIn: 'sfo1',
      lambdas: [],
      routes: null,
      build: { env: [] },
      env: [],
      isFirstBranchDeployment: false,
      projectSettings: {},
    };
  }

  function projectJson(p: FakeVercelProject) {
    const production = p.production ? deployments.get(p.production) : undefined;
    return {
      id: p.id,
      name: p.name,
      accountId: p.accountId,
      framework: null,
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_000,
      nodeVersion: '20.x',
      alias: [],
      resourceConfig: {
        functionDefaultMemoryType: 'standard',
        functionDefaultTimeout: 300,
        functionDefaultRegions: ['iad1'],
      },
      defaultResourceConfig: {
        functionDefaultMemoryType: 'standard',
        functionDefaultTimeout: 300,
        functionDefaultRegions: ['iad1'],
      },
      deploymentExpiration: { expirationDays: 180, expirationDaysProduction: 365 },
      link: p.link
        ? {
            type: p.link.type,
            org: p.link.org,
            repo: p.link.repo,
            repoId: p.link.repoId,
            productionBranch: 'main',
            deployHooks: [],
            gitCredentialId: '',
            sourceless: true,
          }
        : undefined,
      latestDeployments: [...deployments.values()]
        .filter((d) => d.projectId === p.id)
        .slice(-3)
        .map((d) => ({ id: d.id, url: d.url, readyState: d.state, createdAt: d.createdAt })),
      targets: production
        ? { production: { id: production.id, url: production.url, readyState: production.state } }
        : {},
    };
  }

  function advance(d: FakeDeployment, failure: string | null): void {
    later(stepMs, () => {
      d.state = 'BUILDING';
      const at = Date.now();
      d.events.push({ type: 'command', created: at, text: 'Running "vercel build"' });
      d.events.push({ type: 'stdout', created: at + 1, text: 'Installing dependencies...' });
      later(stepMs, () => {
        const end = Date.now();
        if (failure) {
          d.events.push({ type: 'stderr', created: end, text: failure });
          d.events.push({
            type: 'stderr',
            created: end + 1,
            text: 'Error: Command "npm run build" exited with 1',
          });
          d.state = 'ERROR';
          d.errorMessage = failure;
          return;
        }
        d.events.push({ type: 'stdout', created: end, text: 'Build Completed in /vercel/output' });
        d.events.push({ type: 'stdout', created: end + 1, text: 'Deployment completed' });
        d.state = 'READY';
      });
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = new URL(req.url ?? '/', 'http://fake');
    const path = parsed.pathname;
    const query = Object.fromEntries(parsed.searchParams);
    const method = req.method ?? 'GET';
    const raw = await readRaw(req);
    requests.push({
      method,
      path,
      query,
      authorization: req.headers.authorization,
      body: path === '/v2/files' ? `<${raw.length} bytes>` : raw.toString('utf8'),
    });
    if (req.headers.authorization !== `Bearer ${token}`) {
      return vercelError(
        res,
        403,
        'forbidden',
        'Not authorized: the token is invalid, expired or revoked',
      );
    }
    if (query.teamId !== undefined && query.teamId !== teamId) {
      return vercelError(res, 403, 'forbidden', 'You don’t have permission to access this team');
    }
    let body: Record<string, unknown> = {};
    if (path !== '/v2/files' && raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        return vercelError(res, 400, 'bad_request', 'Invalid JSON body');
      }
    }

    if (method === 'GET' && path === '/v2/user') {
      return sendJson(res, 200, {
        user: {
          id: accountId,
          uid: accountId,
          email: 'fake@vercel.test',
          name: 'Lucid Fake',
          username,
          avatar: null,
          defaultTeamId: null,
          version: 'northstar',
          createdAt: 1_700_000_000_000,
          softBlock: null,
          billing: null,
          resourceConfig: {},
          stagingPrefix: 'lucid-fake',
          hasTrialAvailable: false,
          remoteCaching: null,
          buildEntitlements: null,
        },
      });
    }
    if (method === 'GET' && (path === '/v9/projects' || path === '/v10/projects')) {
      const search = query.search ?? '';
      const list = [...projects.values()].filter((p) => p.name.includes(search));
      return sendJson(res, 200, {
        projects: list.map(projectJson),
        pagination: { count: list.length, next: null, prev: null },
      });
    }
    const project = /^\/v9\/projects\/([^/]+)$/.exec(path);
    if (method === 'GET' && project) {
      const found = findProject(decodeURIComponent(project[1]!));
      if (!found) return vercelError(res, 404, 'not_found', 'Project not found');
      return sendJson(res, 200, projectJson(found));
    }
    if (method === 'POST' && path === '/v2/files') {
      const digest = String(req.headers['x-vercel-digest'] ?? '');
      const actual = createHash('sha1').update(raw).digest('hex');
      if (!digest) return vercelError(res, 400, 'missing_digest', 'Missing `x-vercel-digest`');
      if (digest !== actual) {
        return vercelError(res, 400, 'invalid_digest', 'The file’s digest does not match');
      }
      uploads.set(digest, raw);
      return sendJson(res, 200, { urls: [`https://files.vercel.test/${digest}`] });
    }
    if (method === 'POST' && path === '/v13/deployments') {
      const target = body.target;
      if (target !== undefined && target !== 'production' && target !== 'staging') {
        return vercelError(res, 400, 'bad_request', 'Invalid request: `target` is not valid');
      }
      const name = typeof body.project === 'string' ? body.project : String(body.name ?? '');
      const owner = findProject(name);
      if (!owner) return vercelError(res, 404, 'not_found', `Project "${name}" not found`);
      const gitSource = (body.gitSource as Record<string, unknown> | undefined) ?? null;
      const files: Record<string, string> = {};
      if (gitSource) {
        if (!owner.link) {
          return vercelError(
            res,
            400,
            'incorrect_git_source_info',
            'The project is not linked to a git repository',
          );
        }
      } else {
        const list = Array.isArray(body.files) ? (body.files as Record<string, unknown>[]) : [];
        if (list.length === 0) {
          return vercelError(res, 400, 'bad_request', 'Either `files` or `gitSource` is required');
        }
        const missing = list.map((f) => String(f.sha ?? '')).filter((sha) => !uploads.has(sha));
        if (missing.length > 0) {
          return sendJson(res, 400, {
            error: { code: 'missing_files', message: 'Missing files', missing },
          });
        }
        for (const f of list) files[String(f.file)] = String(f.sha);
      }
      const id = `dpl_${randomBytes(10).toString('hex')}`;
      const deployment: FakeDeployment = {
        id,
        projectId: owner.id,
        name: owner.name,
        url: `${owner.name}-${id.slice(4, 13)}-${username}.vercel.app`,
        state: 'QUEUED',
        target: (target as FakeDeployment['target']) ?? null,
        createdAt: Date.now(),
        gitSource,
        files,
        meta: (body.meta as Record<string, string> | undefined) ?? {},
        events: [],
        errorMessage: null,
      };
      deployments.set(id, deployment);
      advance(deployment, owner.failBuilds);
      return sendJson(res, 200, deploymentJson(deployment));
    }
    const deployment = /^\/v13\/deployments\/([^/]+)$/.exec(path);
    if (method === 'GET' && deployment) {
      const found = deployments.get(decodeURIComponent(deployment[1]!));
      if (!found) return vercelError(res, 404, 'not_found', 'Deployment not found');
      return sendJson(res, 200, deploymentJson(found));
    }
    const events = /^\/v3\/deployments\/([^/]+)\/events$/.exec(path);
    if (method === 'GET' && events) {
      const found = deployments.get(decodeURIComponent(events[1]!));
      if (!found) return vercelError(res, 404, 'not_found', 'Deployment not found');
      const since = Number(query.since ?? 0);
      return sendJson(
        res,
        200,
        found.events
          .filter((e) => e.created > since)
          .map((e, i) => ({
            type: e.type,
            created: e.created,
            payload: {
              deploymentId: found.id,
              id: `${found.id}-${i}`,
              date: e.created,
              serial: String(e.created),
              text: e.text,
              created: e.created,
            },
          })),
      );
    }
    const production = /^\/v(10|1|9)\/projects\/([^/]+)\/(promote|rollback)\/([^/]+)$/.exec(path);
    if (method === 'POST' && production) {
      const [, version, projectId, kind, deploymentId] = production;
      const known =
        (kind === 'promote' && version === '10') || (kind === 'rollback' && version !== '10');
      if (!known) return vercelError(res, 404, 'not_found', 'The requested path was not found');
      const owner = findProject(decodeURIComponent(projectId!));
      if (!owner) return vercelError(res, 404, 'not_found', 'Project not found');
      const target = deployments.get(decodeURIComponent(deploymentId!));
      if (!target || target.projectId !== owner.id) {
        return vercelError(res, 404, 'not_found', 'Deployment not found');
      }
      if (target.state !== 'READY') {
        return vercelError(res, 400, 'deployment_not_ready', 'The deployment is not ready');
      }
      if (kind === 'rollback' && !owner.productionHistory.includes(target.id)) {
        return vercelError(
          res,
          400,
          'invalid_rollback',
          'Only a deployment that served production can be rolled back to',
        );
      }
      productionCalls.push({
        kind: kind as 'promote' | 'rollback',
        projectId: owner.id,
        deploymentId: target.id,
      });
      owner.production = target.id;
      owner.productionHistory.push(target.id);
      res.writeHead(kind === 'promote' ? 202 : 201).end();
      return;
    }
    vercelError(res, 404, 'not_found', 'The requested path was not found');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) vercelError(res, 500, 'internal_server_error', String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    token,
    username,
    requests,
    uploads,
    productionCalls,
    addProject({ name, link = null }) {
      const made: FakeVercelProject = {
        id: `prj_${randomBytes(10).toString('hex')}`,
        name,
        accountId,
        link,
        production: null,
        productionHistory: [],
        failBuilds: null,
      };
      projects.set(made.id, made);
      return made;
    },
    project(id) {
      const found = projects.get(id);
      if (!found) throw new Error(`no fake Vercel project ${id}`);
      return found;
    },
    deployments: () => [...deployments.values()],
    deployment(id) {
      const found = deployments.get(id);
      if (!found) throw new Error(`no fake Vercel deployment ${id}`);
      return found;
    },
    async stop() {
      for (const timer of timers) clearTimeout(timer);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
