/**
 * @module sandbox/docker/engine
 * The connection to a Docker engine over its Engine API (dockerode honours `DOCKER_HOST`, else the
 * local socket), and a bounded check that it answers.
 */
import Docker from 'dockerode';
import { ConfigError } from '../../config.ts';

/** What a Docker engine says about itself when it answers. */
export interface EngineInfo {
  version: string;
  apiVersion: string;
  /** Where the engine was reached: `DOCKER_HOST` or the local socket. */
  address: string;
}

/**
 * A client for the engine named by `DOCKER_HOST`, or the local socket. Throws a `ConfigError` when
 * `DOCKER_HOST` is not an address.
 *
 * @example
 * const docker = connectDocker();
 */
export function connectDocker(): Docker {
  try {
    return new Docker();
  } catch (error) {
    throw new ConfigError([
      `DOCKER_HOST must be an address such as unix:///var/run/docker.sock or tcp://host:2375 ` +
        `(${error instanceof Error ? error.message : String(error)})`,
    ]);
  }
}

/** Where a client connects to, for messages: `unix:///var/run/docker.sock`, `tcp://host:2375`. */
export async function engineAddress(docker: Docker): Promise<string> {
  const modem = docker.modem as {
    socketPath?: unknown;
    host?: unknown;
    port?: unknown;
    protocol?: unknown;
  };
  if (typeof modem.socketPath === 'function') {
    // The modem's default: the user's rootless socket when there is one, else the system's.
    const found: unknown = await (modem.socketPath as () => Promise<unknown>)();
    return `unix://${String(found)}`;
  }
  if (typeof modem.socketPath === 'string') return `unix://${modem.socketPath}`;
  const scheme = modem.protocol === 'https' ? 'https' : modem.protocol === 'ssh' ? 'ssh' : 'tcp';
  return `${scheme}://${String(modem.host)}${modem.port ? `:${String(modem.port)}` : ''}`;
}

/**
 * The engine's version when it answers within `timeoutMs`, else null.
 *
 * @example
 * const info = await pingEngine(connectDocker(), 1000);
 * if (!info) console.log('no Docker engine');
 */
export async function pingEngine(docker: Docker, timeoutMs = 1000): Promise<EngineInfo | null> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  // dockerode accepts an abort signal on every call; its type declarations omit it here.
  const version = docker.version as (options: {
    abortSignal: AbortSignal;
  }) => Promise<Docker.DockerVersion>;
  try {
    const answer = await version.call(docker, { abortSignal: abort.signal });
    return {
      version: answer.Version,
      apiVersion: answer.ApiVersion,
      address: await engineAddress(docker),
    };
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** The HTTP status of an Engine API error, if it is one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The engine's own words for an Engine API error, else the error's message. */
export function engineMessage(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  if (typeof json?.message === 'string') return json.message;
  return error instanceof Error ? error.message : String(error);
}
