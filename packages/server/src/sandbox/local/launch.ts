/**
 * @module sandbox/local/launch
 * How a process of a local sandbox is started: the program, arguments, environment and working
 * directory to spawn, with bubblewrap (namespaces, read-only host system, the sandbox's own
 * /workspace and /tmp) or as a plain child process, and with `prlimit` resource limits when present.
 *
 * Memory is capped with RLIMIT_DATA (heap and private writable mappings per process) rather than
 * RLIMIT_AS: runtimes such as Node.js and Go reserve far more address space than they use, and
 * would fail to start under an address-space cap. RLIMIT_NPROC is set only under bubblewrap and
 * when the server is not root: the kernel ignores it for root, and outside a user namespace it would
 * count every process of the server's user.
 */
import { existsSync, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import type { SandboxSpec } from '../driver.ts';
import { WORKSPACE, type WorkspaceFiles } from './workspace-files.ts';

/** Host tools the local driver uses; null where one is absent or not wanted. */
export interface LocalTools {
  bwrap: string | null;
  prlimit: string | null;
  /** Whether the server runs as root (process count limits do not apply to root). */
  root: boolean;
}

export interface SandboxFolders {
  workspace: string;
  tmp: string;
  files: WorkspaceFiles;
}

export interface Launch {
  file: string;
  args: string[];
  env: Record<string, string>;
  /** Host working directory of the spawned program. */
  cwd: string;
  /** True when every process of the command dies with it (its own PID namespace). */
  contained: boolean;
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Host files that hold secrets and are hidden from bubblewrap sandboxes, where they exist. */
function secretFiles(): { files: string[]; folders: string[] } {
  const files = ['/etc/shadow', '/etc/shadow-', '/etc/gshadow', '/etc/gshadow-'];
  try {
    for (const name of readdirSync('/etc/ssh')) {
      if (/^ssh_host_.*_key$/.test(name)) files.push(`/etc/ssh/${name}`);
    }
  } catch {
    // no /etc/ssh
  }
  return {
    files: files.filter((file) => existsSync(file)),
    folders: ['/etc/ssl/private'].filter((folder) => existsSync(folder)),
  };
}

/**
 * The part of a bubblewrap command line that is the same for every sandbox: the host's system
 * folders read-only (symbolic links such as /bin → usr/bin kept as links), secrets masked.
 */
export function bwrapSystemArgs(): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const folder of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    let info;
    try {
      info = lstatSync(folder);
    } catch {
      continue;
    }
    if (info.isSymbolicLink()) args.push('--symlink', readlinkSync(folder), folder);
    else if (info.isDirectory()) args.push('--ro-bind', folder, folder);
  }
  args.push('--ro-bind', '/etc', '/etc');
  const secrets = secretFiles();
  for (const file of secrets.files) args.push('--ro-bind', '/dev/null', file);
  for (const folder of secrets.folders) args.push('--tmpfs', folder);
  return args;
}

/** The environment of a sandbox process: a fixed base, the spec's, then the command's. */
function environment(
  home: string,
  extra: Record<string, string | undefined>,
  spec: SandboxSpec,
  env: Record<string, string> | undefined,
): Record<string, string> {
  const base: Record<string, string> = { PATH, HOME: home, LANG: 'C.UTF-8' };
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) base[key] = value;
  return { ...base, ...spec.env, ...env };
}

function limitArgs(tools: LocalTools, spec: SandboxSpec): string[] {
  if (!tools.prlimit) return [];
  const args = [tools.prlimit, `--data=${Math.max(1, Math.floor(spec.limits.memoryBytes))}`];
  if (tools.bwrap && !tools.root) args.push(`--nproc=${Math.max(1, Math.floor(spec.limits.pids))}`);
  return [...args, '--'];
}

/**
 * Builds the command line that runs `argv` in a sandbox.
 *
 * @example
 * const launch = launchCommand(tools, systemArgs, folders, spec, ['ls', '-la'], { cwd: 'src' });
 * spawn(launch.file, launch.args, { cwd: launch.cwd, env: launch.env, detached: true });
 */
export function launchCommand(
  tools: LocalTools,
  systemArgs: readonly string[],
  folders: SandboxFolders,
  spec: SandboxSpec,
  argv: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Launch {
  if (argv.length === 0) throw new Error('A command needs at least a program name.');
  const limited = [...limitArgs(tools, spec), ...argv];
  if (tools.bwrap) {
    const cwd = path.posix.resolve(WORKSPACE, options.cwd ?? WORKSPACE);
    const args = [
      '--die-with-parent',
      '--new-session',
      '--unshare-all',
      ...(spec.network === 'bridge' ? ['--share-net'] : []),
      '--cap-drop',
      'ALL',
      '--hostname',
      'sandbox',
      ...systemArgs,
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      '--bind',
      folders.workspace,
      WORKSPACE,
      '--bind',
      folders.tmp,
      '/tmp',
      ...(spec.readOnlyMounts ?? []).flatMap(({ source, target }) => ['--ro-bind', source, target]),
      '--chdir',
      cwd,
      '--',
      ...limited,
    ];
    return {
      file: tools.bwrap,
      args,
      env: environment(WORKSPACE, {}, spec, options.env),
      cwd: folders.workspace,
      contained: true,
    };
  }
  const [file, ...args] = limited;
  return {
    file: file as string,
    args,
    env: environment(folders.workspace, { TMPDIR: folders.tmp }, spec, options.env),
    cwd: folders.files.hostPath(options.cwd ?? WORKSPACE),
    contained: false,
  };
}
