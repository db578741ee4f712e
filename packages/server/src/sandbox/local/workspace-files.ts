/**
 * @module sandbox/local/workspace-files
 * A local sandbox's `/workspace` as a folder on the host: translates sandbox paths to host paths,
 * refuses any that lead outside the folder (`..`, absolute paths elsewhere, symbolic links pointing
 * out), and reads, writes and lists files there.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../errors.ts';
import type { FileEntry } from '../driver.ts';

/** Where the workspace appears inside a sandbox. */
export const WORKSPACE = '/workspace';

/**
 * The path below `/workspace` that a sandbox path names (relative paths start at `/workspace`).
 *
 * @example
 * workspaceRelative('/workspace/src/a.ts') // 'src/a.ts'
 * workspaceRelative('src/../b.txt')       // 'b.txt'
 * workspaceRelative('/etc/passwd')        // throws AppError('bad_request')
 */
export function workspaceRelative(sandboxPath: string): string {
  const resolved = path.posix.resolve(WORKSPACE, sandboxPath);
  if (resolved === WORKSPACE) return '';
  if (!resolved.startsWith(`${WORKSPACE}/`)) throw outside(sandboxPath);
  return resolved.slice(WORKSPACE.length + 1);
}

function outside(sandboxPath: string): AppError {
  return new AppError(
    'bad_request',
    `The path ${sandboxPath} is outside ${WORKSPACE}; only files in the workspace can be used here.`,
  );
}

function within(root: string, target: string): boolean {
  return target === root || target.startsWith(`${root}${path.sep}`);
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** The files of one workspace folder, addressed by sandbox paths. */
export class WorkspaceFiles {
  constructor(private readonly folder: string) {}

  /** The host path of a sandbox path, without following symbolic links (for a working directory). */
  hostPath(sandboxPath: string): string {
    return path.join(this.folder, workspaceRelative(sandboxPath));
  }

  /** The real host path of an existing file or folder, checked to be inside the workspace. */
  private async existing(sandboxPath: string): Promise<string> {
    const root = await realpath(this.folder);
    let real: string;
    try {
      real = await realpath(this.hostPath(sandboxPath));
    } catch (error) {
      if (isMissing(error)) {
        throw new AppError('not_found', `Nothing exists at ${sandboxPath} in the sandbox.`);
      }
      throw error;
    }
    if (!within(root, real)) throw outside(sandboxPath);
    return real;
  }

  /** Reads a file. */
  async readFile(sandboxPath: string): Promise<Buffer> {
    return readFile(await this.existing(sandboxPath));
  }

  /** Writes a file, creating the folders above it; never through a symbolic link. */
  async writeFile(sandboxPath: string, content: string | Buffer): Promise<void> {
    const relative = workspaceRelative(sandboxPath);
    if (relative === '') throw new AppError('bad_request', `${WORKSPACE} itself is not a file.`);
    const root = await realpath(this.folder);
    const parts = relative.split('/');
    let parent = root;
    for (const part of parts.slice(0, -1)) {
      parent = path.join(parent, part);
      try {
        const info = await lstat(parent);
        if (info.isSymbolicLink()) {
          const real = await realpath(parent);
          if (!within(root, real)) throw outside(sandboxPath);
          parent = real;
        }
      } catch (error) {
        if (!isMissing(error)) throw error;
        await mkdir(parent, { recursive: true });
      }
    }
    const target = path.join(parent, parts[parts.length - 1] as string);
    let handle;
    try {
      handle = await open(
        target,
        constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
        0o644,
      );
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
        throw new AppError(
          'bad_request',
          `${sandboxPath} is a symbolic link; write to its target.`,
        );
      }
      throw error;
    }
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
  }

  /** Entries below a folder, depth first in name order, without following symbolic links. */
  async listFiles(sandboxPath: string, maxEntries = 10_000): Promise<FileEntry[]> {
    const base = await this.existing(sandboxPath);
    const entries: FileEntry[] = [];
    const walk = async (folder: string, prefix: string): Promise<void> => {
      const names = (await readdir(folder)).sort();
      for (const name of names) {
        if (entries.length >= maxEntries) return;
        const full = path.join(folder, name);
        let info;
        try {
          info = await lstat(full);
        } catch (error) {
          if (isMissing(error)) continue;
          throw error;
        }
        const relative = prefix ? `${prefix}/${name}` : name;
        const type = info.isSymbolicLink() ? 'symlink' : info.isDirectory() ? 'directory' : 'file';
        entries.push({ path: relative, type, size: type === 'directory' ? 0 : info.size });
        if (type === 'directory') await walk(full, relative);
      }
    };
    await walk(base, '');
    return entries;
  }
}
