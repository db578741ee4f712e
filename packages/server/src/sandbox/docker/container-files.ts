/**
 * @module sandbox/docker/container-files
 * Reads, writes and lists files in a container by short execs as the sandbox user, moving bytes
 * through the exec's standard streams (binary-safe; what is written belongs to the sandbox user).
 * Execs see every mount: the Engine API's archive endpoints do not see tmpfs mounts such as /tmp.
 * Relative paths start at /workspace.
 */
import path from 'node:path';
import type Docker from 'dockerode';
import { AppError } from '../../errors.ts';
import type { FileEntry } from '../driver.ts';
import { WORKSPACE } from './container-config.ts';
import { runExec } from './engine-exec.ts';

const MISSING = 3;
const WRONG_TYPE = 4;

const READ = `f=$1
[[ -e $f ]] || exit ${MISSING}
[[ -d $f ]] && exit ${WRONG_TYPE}
exec cat -- "$f"`;

const WRITE = `f=$1
[[ -d $f ]] && exit ${WRONG_TYPE}
mkdir -p -- "$(dirname -- "$f")" && exec cat >"$f"`;

const LIST = `d=$1
[[ -e $d ]] || exit ${MISSING}
[[ -d $d ]] || exit ${WRONG_TYPE}
find "$d" -mindepth 1 -printf '%y %s %P\\0' | head -z -n "$2"`;

/** The most entries read from the container before sorting; `listFiles` returns at most its own cap. */
const LIST_CEILING = 200_000;

/** The files of one container, addressed by sandbox paths. */
export class ContainerFiles {
  constructor(
    private readonly docker: Docker,
    private readonly container: Docker.Container,
  ) {}

  /** Reads a file. */
  async readFile(sandboxPath: string): Promise<Buffer> {
    const target = resolve(sandboxPath);
    const result = await this.bash(READ, [target]);
    if (result.exitCode === 0) return result.stdout;
    throw failure(result, sandboxPath, 'read');
  }

  /** Writes a file, creating the folders above it. */
  async writeFile(sandboxPath: string, content: string | Buffer): Promise<void> {
    const target = resolve(sandboxPath);
    const result = await this.bash(WRITE, [target], content);
    if (result.exitCode !== 0) throw failure(result, sandboxPath, 'write');
  }

  /** Entries below a folder, in name order with each folder's entries after it. */
  async listFiles(sandboxPath: string, maxEntries = 10_000): Promise<FileEntry[]> {
    const target = resolve(sandboxPath);
    const result = await this.bash(LIST, [target, String(LIST_CEILING)]);
    if (result.exitCode !== 0) throw failure(result, sandboxPath, 'list');
    const entries: FileEntry[] = [];
    for (const record of result.stdout.toString('utf8').split('\0')) {
      const match = /^(\S) (\d+) (.+)$/s.exec(record);
      if (!match) continue;
      const [, kind, size, relative] = match as unknown as [string, string, string, string];
      const type = kind === 'd' ? 'directory' : kind === 'l' ? 'symlink' : 'file';
      entries.push({ path: relative, type, size: type === 'directory' ? 0 : Number(size) });
    }
    return entries.sort((a, b) => comparePaths(a.path, b.path)).slice(0, maxEntries);
  }

  private bash(script: string, args: string[], stdin?: string | Buffer) {
    return runExec(this.docker, this.container, {
      argv: ['bash', '-c', script, 'lucid-files', ...args],
      ...(stdin !== undefined ? { stdin } : {}),
    });
  }
}

function resolve(sandboxPath: string): string {
  return path.posix.resolve(WORKSPACE, sandboxPath);
}

/** Orders paths as a walk in name order would meet them: a folder, then what it holds. */
function comparePaths(a: string, b: string): number {
  const left = a.split('/');
  const right = b.split('/');
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const x = left[i] as string;
    const y = right[i] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return left.length - right.length;
}

function failure(
  result: { exitCode: number | null; stderr: Buffer },
  sandboxPath: string,
  action: 'read' | 'write' | 'list',
): AppError {
  if (result.exitCode === MISSING) {
    return new AppError('not_found', `Nothing exists at ${sandboxPath} in the sandbox.`);
  }
  if (result.exitCode === WRONG_TYPE) {
    return new AppError(
      'bad_request',
      action === 'list'
        ? `${sandboxPath} is a file, not a folder.`
        : `${sandboxPath} is a folder, not a file.`,
    );
  }
  const detail = result.stderr.toString('utf8').trim().split('\n').pop() ?? '';
  return new AppError(
    'bad_request',
    `Could not ${action} ${sandboxPath} in the sandbox${detail ? `: ${detail}` : ''}.`,
  );
}
