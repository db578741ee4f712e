/**
 * @module sandbox/local/local-driver
 * The `local` sandbox driver, for hosts without Docker. Each sandbox is a folder
 * `<root>/<id>/` with `workspace/` (seen as /workspace), `home/` (the sandbox user's HOME,
 * `/home/lucid`), `tmp/` and `sandbox.json`. Every process
 * runs under bubblewrap in fresh namespaces over a read-only view of the host's system
 * (`system-view.ts`), on the bridge network in the sandbox's own network namespace, whose loopback
 * reaches Lucid and nothing else (`network.ts`). Only when made `unconfined` (LUCID_SANDBOX=
 * local-unsafe, chosen by name) are processes plain children of the server, able to do whatever
 * the server's user can.
 */
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { newId } from '../../ids.ts';
import type { LucidEndpoint, Sandbox, SandboxDriver, SandboxInfo, SandboxSpec } from '../driver.ts';
import type { LocalTools } from './launch.ts';
import { LocalSandbox, type SandboxRecord } from './local-sandbox.ts';
import {
  lucidAddress,
  SandboxNetwork,
  type LucidAddress,
  type SandboxNetworkTools,
} from './network.ts';
import { bwrapSystemArgs, writeSandboxEtc } from './system-view.ts';
import { WorkspaceFiles } from './workspace-files.ts';

export interface LocalDriverOptions {
  /** Folder holding the sandboxes, such as `<dataDir>/sandboxes`. */
  root: string;
  /** Path of `bwrap`; left out, the usual install paths are tried. */
  bwrap?: string;
  /**
   * Runs commands as plain processes of the server's user, with nothing confining them: only
   * when chosen by name (LUCID_SANDBOX=local-unsafe). Without it, a driver needs bubblewrap.
   */
  unconfined?: boolean;
  /** Path of util-linux `prlimit`; null applies no limits; left out, the usual paths are tried. */
  prlimit?: string | null;
}

const ID_PATTERN = /^sbx_[a-z2-7]{20}$/;

/**
 * A program on the usual install paths, or null.
 *
 * @example
 * findTool('bwrap') // '/usr/bin/bwrap'
 */
export function findTool(name: string): string | null {
  for (const folder of ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin']) {
    const candidate = path.join(folder, name);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

function describeIsolation(tools: LocalTools): string {
  const limits = tools.prlimit
    ? `memory is capped per process (RLIMIT_DATA)${
        tools.bwrap && !tools.root
          ? ' and the number of processes per sandbox (RLIMIT_NPROC)'
          : ', the number of processes is not limited (the server runs as root or unconfined)'
      }, CPU is not limited and out-of-memory kills are not detected`
    : 'no resource limit is applied (prlimit is missing)';
  if (tools.bwrap) {
    return (
      'bubblewrap: every command runs in new user, mount, PID, IPC and UTS namespaces with no ' +
      'capabilities and a clean environment; it sees the host /usr read-only, only the /etc ' +
      'files programs need (no password hashes, keys or host configuration), and only its own ' +
      "/workspace, home (/home/lucid) and /tmp writable, never the data dir; the network is the sandbox's own, whose " +
      "loopback reaches only Lucid's git endpoint and LLM gateway (bridge) or nothing (none); " +
      `${limits}.`
    );
  }
  return (
    "none (LUCID_SANDBOX=local-unsafe): commands run unconfined, as the server's own user in " +
    'plain child processes with a clean environment, and can read and write whatever that user ' +
    'can — the data dir, its encryption key and database included — and reach every network; ' +
    `${limits}.`
  );
}

/** Why a confined local driver cannot be made without bubblewrap, and what to do. */
const NO_BUBBLEWRAP =
  'bubblewrap is not installed, so local sandboxes cannot be confined: install it ' +
  '(apt-get install bubblewrap), or choose LUCID_SANDBOX=local-unsafe to run commands unconfined ' +
  "as the server's own user";

/**
 * Sandboxes as folders on this host.
 *
 * @example
 * const driver = new LocalDriver({ root: path.join(dataDir, 'sandboxes') });
 * const sandbox = await driver.create({ labels: { 'lucid.task': id }, limits, network: 'none' });
 */
export class LocalDriver implements SandboxDriver {
  readonly kind = 'local' as const;
  readonly isolation: string;
  private readonly root: string;
  private readonly tools: LocalTools;
  private readonly systemArgs: readonly string[];
  private readonly open = new Map<string, LocalSandbox>();
  /** The sandbox's own /etc files, written by the driver. */
  private readonly etc: string;
  private readonly network: SandboxNetworkTools | null;
  private lucid: LucidAddress | null = null;
  private etcWritten = false;

  constructor(options: LocalDriverOptions) {
    this.root = path.resolve(options.root);
    const bwrap = options.unconfined ? null : (options.bwrap ?? findTool('bwrap'));
    if (!options.unconfined && !bwrap) throw new Error(`${NO_BUBBLEWRAP}.`);
    this.tools = {
      bwrap,
      prlimit: options.prlimit === undefined ? findTool('prlimit') : options.prlimit,
      nsenter: findTool('nsenter'),
      root: process.getuid?.() === 0,
    };
    this.etc = path.join(this.root, '.system', 'etc');
    this.systemArgs = bwrap ? bwrapSystemArgs(this.etc) : [];
    this.network = bwrap
      ? { bwrap, ip: findTool('ip'), node: realpathSync(process.execPath) }
      : null;
    this.isolation = describeIsolation(this.tools);
  }

  /**
   * Where sandboxes on the bridge network reach Lucid: the relay of each sandbox's network
   * listens at `endpoint.url`'s address and port and passes connections to `endpoint.socket`.
   * Unconfined sandboxes use the host's network and need nothing.
   */
  reachLucid(endpoint: LucidEndpoint): void {
    if (!this.network) return;
    this.lucid = lucidAddress(endpoint);
    if (this.etcWritten) this.writeEtc();
  }

  /** Writes the sandboxes' own /etc files, naming Lucid's host when it has a name. */
  private writeEtc(): void {
    writeSandboxEtc(this.etc, { lucidHost: this.lucid?.hostName });
    this.etcWritten = true;
  }

  async create(spec: SandboxSpec): Promise<Sandbox> {
    const record: SandboxRecord = {
      id: newId('sbx'),
      labels: { ...spec.labels },
      createdAt: new Date().toISOString(),
      spec,
    };
    const folder = this.folderOf(record.id);
    await mkdir(path.join(folder, 'workspace'), { recursive: true });
    await mkdir(path.join(folder, 'home'), { recursive: true });
    await mkdir(path.join(folder, 'tmp'), { recursive: true });
    await writeFile(path.join(folder, 'sandbox.json'), `${JSON.stringify(record, null, 2)}\n`);
    return this.instance(record);
  }

  async get(id: string): Promise<Sandbox | null> {
    const record = await this.readRecord(id);
    if (record) return this.instance(record);
    this.open.delete(id);
    return null;
  }

  async list(labels: Record<string, string> = {}): Promise<SandboxInfo[]> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch {
      return [];
    }
    const records = await Promise.all(names.map((name) => this.readRecord(name)));
    return records
      .filter((record): record is SandboxRecord => record !== null)
      .filter((record) =>
        Object.entries(labels).every(([key, value]) => record.labels[key] === value),
      )
      .map((record) => ({
        id: record.id,
        labels: record.labels,
        createdAt: new Date(record.createdAt),
        running: true,
      }));
  }

  private folderOf(id: string): string {
    return path.join(this.root, id);
  }

  private async readRecord(id: string): Promise<SandboxRecord | null> {
    if (!ID_PATTERN.test(id)) return null;
    try {
      const record = JSON.parse(
        await readFile(path.join(this.folderOf(id), 'sandbox.json'), 'utf8'),
      ) as SandboxRecord;
      return record.id === id ? record : null;
    } catch {
      return null;
    }
  }

  private instance(record: SandboxRecord): LocalSandbox {
    const existing = this.open.get(record.id);
    if (existing) return existing;
    if (this.network && !this.etcWritten) this.writeEtc();
    const folder = this.folderOf(record.id);
    const workspace = path.join(folder, 'workspace');
    // A sandbox made before homes were its own gets one now.
    const home = path.join(folder, 'home');
    mkdirSync(home, { recursive: true });
    const tools = this.network;
    const sandbox = new LocalSandbox(record, {
      tools: this.tools,
      systemArgs: this.systemArgs,
      network: tools ? new SandboxNetwork(tools, () => this.lucid) : null,
      folder,
      folders: {
        workspace,
        home,
        tmp: path.join(folder, 'tmp'),
        files: new WorkspaceFiles(workspace),
      },
      onRemoved: () => this.open.delete(record.id),
    });
    this.open.set(record.id, sandbox);
    return sandbox;
  }
}
