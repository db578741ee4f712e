/**
 * @module sandbox/local/launch
 * How a process of a local sandbox is started: the program, arguments, environment and working
 * directory to spawn, with bubblewrap (namespaces, read-only host system, the sandbox's own
 * /workspace, home (`/home/lucid`, outside the checkout, so tools' caches and logs never land in
 * it) and /tmp; on the bridge network, first joining the sandbox's own network through
 * `nsenter`) or, unconfined, as a plain child process, and with `prlimit` resource limits when
 * present.
 *
 * Memory is capped with RLIMIT_DATA (heap and private writable mappings per process) rather than
 * RLIMIT_AS: runtimes such as Node.js and Go reserve far more address space than they use, and
 * would fail to start under an address-space cap. RLIMIT_NPROC is set only under bubblewrap and
 * when the server is not root: the kernel ignores it for root, and outside a user namespace it would
 * count every process of the server's user.
 */
import path from 'node:path';
import type { SandboxSpec } from '../driver.ts';
import type { NetworkNamespace } from './network.ts';
import { WORKSPACE, type WorkspaceFiles } from './workspace-files.ts';

/** Host tools the local driver uses; null where one is absent or not wanted. */
export interface LocalTools {
  /** Null only for an unconfined driver (LUCID_SANDBOX=local-unsafe). */
  bwrap: string | null;
  prlimit: string | null;
  /** util-linux `nsenter`, through which commands join their sandbox's network. */
  nsenter: string | null;
  /** Whether the server runs as root (process count limits do not apply to root). */
  root: boolean;
}

export interface SandboxFolders {
  workspace: string;
  /** The sandbox user's home, seen as {@link SANDBOX_HOME}. */
  home: string;
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

/** HOME inside a confined local sandbox, as in a docker one: outside /workspace. */
export const SANDBOX_HOME = '/home/lucid';

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Run between `nsenter` and bubblewrap: goes on only when the joined network namespace is the
 * sandbox's (`$0`), so a reused process id never leads a command into another namespace.
 */
const CHECK_NAMESPACE =
  '[ "$(readlink /proc/self/ns/net)" = "$0" ] || ' +
  '{ echo "The sandbox network has stopped; run the command again." >&2; exit 125; }; exec "$@"';

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
 * Builds the command line that runs `argv` in a sandbox; with bubblewrap, in `network` (the
 * sandbox's own, for the bridge network) or else in a network namespace of its own.
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
  network: NetworkNamespace | null = null,
): Launch {
  if (argv.length === 0) throw new Error('A command needs at least a program name.');
  const limited = [...limitArgs(tools, spec), ...argv];
  if (tools.bwrap) {
    const cwd = path.posix.resolve(WORKSPACE, options.cwd ?? WORKSPACE);
    const joined = spec.network === 'bridge' ? network : null;
    const args = [
      '--die-with-parent',
      '--new-session',
      '--unshare-all',
      ...(joined ? ['--share-net'] : []),
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
      folders.home,
      SANDBOX_HOME,
      '--bind',
      folders.tmp,
      '/tmp',
      ...(spec.readOnlyMounts ?? []).flatMap(({ source, target }) => ['--ro-bind', source, target]),
      // The root (and /etc in it) read-only once every mount point is made.
      '--remount-ro',
      '/',
      '--chdir',
      cwd,
      '--',
      ...limited,
    ];
    const env = environment(SANDBOX_HOME, {}, spec, options.env);
    if (!joined) return { file: tools.bwrap, args, env, cwd: folders.workspace, contained: true };
    if (!tools.nsenter)
      throw new Error('nsenter (util-linux) is needed to join the sandbox network.');
    return {
      file: tools.nsenter,
      args: [
        `--user=/proc/${joined.pid}/ns/user`,
        `--net=/proc/${joined.pid}/ns/net`,
        '--preserve-credentials',
        '--',
        '/bin/sh',
        '-c',
        CHECK_NAMESPACE,
        joined.net,
        tools.bwrap,
        ...args,
      ],
      env,
      cwd: folders.workspace,
      contained: true,
    };
  }
  const [file, ...args] = limited;
  return {
    file: file as string,
    args,
    env: environment(folders.home, { TMPDIR: folders.tmp }, spec, options.env),
    cwd: folders.files.hostPath(options.cwd ?? WORKSPACE),
    contained: false,
  };
}
