/**
 * @module sandbox/docker/container-config
 * The Engine API request that creates one sandbox container, with its hardening:
 * - runs as uid 1000 (the image's `lucid`), every capability dropped, `no-new-privileges`;
 * - a small init (`Init`) as process 1 reaps orphans and stops at once, running `sleep infinity`;
 * - memory (swap included, so no swap), CPU quota and a process limit (a fork bomb stops there);
 * - the root filesystem is read-only; `/tmp` is a tmpfs (its pages count against the memory
 *   limit, so it gets half of it at most); `/workspace` and `/home/lucid` are anonymous volumes on
 *   the engine's disk, as large as a real repository with its dependencies and build output needs,
 *   without eating the memory limit, and removed with the container;
 * - no engine socket, and no bind mount but the spec's read-only ones (the CLI agents' cache);
 * - `bridge` is Lucid's sandbox network (sandbox-network.ts), where `host.docker.internal` names
 *   the network's gateway; `none` has no network but loopback.
 */
import type Docker from 'dockerode';
import type { SandboxSpec } from '../driver.ts';
import { envList } from './engine-exec.ts';
import type { SandboxNetwork } from './sandbox-network.ts';

/** The label every sandbox container carries, so Lucid only ever touches its own. */
export const SANDBOX_LABEL = 'lucid.sandbox';
/** The label holding the spec's labels as JSON: a container also carries its image's labels. */
export const SPEC_LABELS_LABEL = 'lucid.sandbox.labels';

export const SANDBOX_USER = '1000:1000';
export const WORKSPACE = '/workspace';
export const HOME = '/home/lucid';

/** The labels a sandbox was made with, from its container's labels. */
export function specLabels(containerLabels: Record<string, string>): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(containerLabels[SPEC_LABELS_LABEL] ?? '{}');
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return Object.fromEntries(
        Object.entries(parsed).filter(
          (entry): entry is [string, string] => typeof entry[1] === 'string',
        ),
      );
    }
  } catch {
    // A label edited by hand; the sandbox is still ours, with no labels of its own.
  }
  return {};
}

/**
 * @param network Lucid's sandbox network, for a spec on `bridge`.
 * @example
 * await docker.createContainer(containerConfig(spec, 'lucid-sandbox:latest', network));
 */
export function containerConfig(
  spec: SandboxSpec,
  image: string,
  network: Pick<SandboxNetwork, 'name' | 'gateway'> | null,
): Docker.ContainerCreateOptions {
  const { memoryBytes, cpus, pids } = spec.limits;
  const tmpBytes = Math.max(64 * 1024 * 1024, Math.floor(memoryBytes / 2));
  return {
    Image: spec.image ?? image,
    Cmd: ['sleep', 'infinity'],
    User: SANDBOX_USER,
    WorkingDir: WORKSPACE,
    Env: envList({ HOME, ...spec.env }),
    Labels: {
      ...spec.labels,
      [SANDBOX_LABEL]: '1',
      [SPEC_LABELS_LABEL]: JSON.stringify(spec.labels),
    },
    StopTimeout: 1,
    HostConfig: {
      Init: true,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      PidsLimit: pids,
      Memory: memoryBytes,
      MemorySwap: memoryBytes,
      NanoCpus: Math.round(cpus * 1e9),
      NetworkMode: network?.name ?? 'none',
      ExtraHosts: network ? [`host.docker.internal:${network.gateway}`] : [],
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': `rw,exec,nosuid,nodev,size=${tmpBytes},uid=1000,gid=1000,mode=1777` },
      Mounts: [
        { Type: 'volume', Source: '', Target: WORKSPACE },
        { Type: 'volume', Source: '', Target: HOME },
        ...(spec.readOnlyMounts ?? []).map(({ source, target }) => ({
          Type: 'bind' as const,
          Source: source,
          Target: target,
          ReadOnly: true,
        })),
      ],
      RestartPolicy: { Name: 'no' },
    },
  };
}
