/**
 * @module sandbox/local/workspace-files
 * A local sandbox's `/workspace` as a folder on the host: reads, writes and lists its files by
 * sandbox paths, and refuses any that lead outside it (`..`, absolute paths elsewhere, symbolic
 * links pointing out).
 *
 * The sandbox's processes can change the folder at any moment, so a path is never checked and
 * then opened again by name: each step opens one name inside the folder opened before it
 * (`/proc/self/fd/<fd>/<name>`, the `openat` of Node.js) without following a symbolic link. A link
 * met on the way is read and resolved as the sandbox would see it, within `/workspace` only, and
 * the walk goes on from the folder it names. Whatever the sandbox swaps in, the server only ever
 * opens what is inside the workspace folder.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, readlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../errors.ts';
import type { FileEntry } from '../driver.ts';

/** Where the workspace appears inside a sandbox. */
export const WORKSPACE = '/workspace';

/** The most symbolic links one path may go through, as Linux allows. */
const MAX_LINKS = 40;

const FOLDER = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
/** Never waits on a FIFO the sandbox put in the file's place. */
const READ = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const WRITE = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

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

function missing(sandboxPath: string): AppError {
  return new AppError('not_found', `Nothing exists at ${sandboxPath} in the sandbox.`);
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/** The path of `name` inside the open folder `folder`, resolved by the kernel through the fd. */
function at(folder: FileHandle, name: string): string {
  return `/proc/self/fd/${folder.fd}/${name}`;
}

/** How the last name of a path is opened. */
type Final = 'folder' | 'read' | 'write';

/** The files of one workspace folder, addressed by sandbox paths. */
export class WorkspaceFiles {
  constructor(private readonly folder: string) {}

  /** The host path of a sandbox path, without following symbolic links (for a working directory). */
  hostPath(sandboxPath: string): string {
    return path.join(this.folder, workspaceRelative(sandboxPath));
  }

  /** Reads a file. */
  async readFile(sandboxPath: string): Promise<Buffer> {
    const handle = await this.openPath(sandboxPath, 'read');
    try {
      if (!(await handle.stat()).isFile()) {
        throw new AppError('bad_request', `${sandboxPath} is not a file.`);
      }
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  /** Writes a file, creating the folders above it; never through a symbolic link. */
  async writeFile(sandboxPath: string, content: string | Buffer): Promise<void> {
    if (workspaceRelative(sandboxPath) === '') {
      throw new AppError('bad_request', `${WORKSPACE} itself is not a file.`);
    }
    const handle = await this.openPath(sandboxPath, 'write');
    try {
      if (!(await handle.stat()).isFile()) {
        throw new AppError('bad_request', `${sandboxPath} is not a file.`);
      }
      await handle.truncate(0);
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
  }

  /** Entries below a folder, depth first in name order, without following symbolic links. */
  async listFiles(sandboxPath: string, maxEntries = 10_000): Promise<FileEntry[]> {
    const base = await this.openPath(sandboxPath, 'folder');
    const entries: FileEntry[] = [];
    const walk = async (folder: FileHandle, prefix: string): Promise<void> => {
      const names = (await readdir(at(folder, ''))).sort();
      for (const name of names) {
        if (entries.length >= maxEntries) return;
        let info;
        try {
          info = await lstat(at(folder, name));
        } catch (error) {
          if (codeOf(error) === 'ENOENT') continue;
          throw error;
        }
        const relative = prefix ? `${prefix}/${name}` : name;
        const type = info.isSymbolicLink() ? 'symlink' : info.isDirectory() ? 'directory' : 'file';
        entries.push({ path: relative, type, size: type === 'directory' ? 0 : info.size });
        if (type !== 'directory') continue;
        let child: FileHandle;
        try {
          child = await open(at(folder, name), FOLDER);
        } catch {
          continue; // replaced meanwhile: listed as it was, not entered
        }
        try {
          await walk(child, relative);
        } finally {
          await child.close();
        }
      }
    };
    try {
      await walk(base, '');
    } finally {
      await base.close();
    }
    return entries;
  }

  /**
   * Opens what a sandbox path names, as the sandbox would resolve it but confined to the
   * workspace: every name is opened inside the folder before it, links are followed by reading
   * them (never by the kernel), and a link out of the workspace is refused. The last name is
   * opened as `final` says; a write creates missing folders and never follows a last link.
   */
  private async openPath(sandboxPath: string, final: Final): Promise<FileHandle> {
    const pending = workspaceRelative(sandboxPath).split('/').filter(Boolean).reverse();
    const trail: string[] = [];
    let links = 0;
    let current = await open(this.folder, FOLDER);
    let handed = false;
    try {
      while (pending.length > 0) {
        const name = pending.pop() as string;
        if (name === '.') continue;
        if (name === '..') {
          if (trail.length === 0) throw outside(sandboxPath);
          trail.pop();
          const parent = await this.reopen(trail, sandboxPath);
          await current.close();
          current = parent;
          continue;
        }
        const last = pending.length === 0;
        const mode = last ? final : 'folder';
        let next: FileHandle;
        try {
          next = await openIn(current, name, mode);
        } catch (error) {
          const code = codeOf(error);
          if (code === 'ENOENT' && mode === 'folder' && final === 'write') {
            await mkdir(at(current, name)).catch((made: unknown) => {
              if (codeOf(made) !== 'EEXIST') throw made;
            });
            pending.push(name);
            continue;
          }
          if (code === 'ELOOP' || code === 'ENOTDIR' || code === 'EISDIR') {
            const target = await readlink(at(current, name)).catch(() => null);
            if (target === null) {
              if (code === 'EISDIR')
                throw new AppError('bad_request', `${sandboxPath} is a folder.`);
              throw missing(sandboxPath);
            }
            if (last && final === 'write') {
              throw new AppError(
                'bad_request',
                `${sandboxPath} is a symbolic link; write to its target.`,
              );
            }
            if (++links > MAX_LINKS) {
              throw new AppError('bad_request', `${sandboxPath} goes through too many links.`);
            }
            const parts = target.split('/').filter(Boolean);
            if (target.startsWith('/')) {
              if (parts[0] !== WORKSPACE.slice(1)) throw outside(sandboxPath);
              parts.shift();
              trail.length = 0;
              const root = await open(this.folder, FOLDER);
              await current.close();
              current = root;
            }
            pending.push(...parts.reverse());
            continue;
          }
          if (code === 'ENOENT') throw missing(sandboxPath);
          throw error;
        }
        await current.close();
        current = next;
        trail.push(name);
      }
      if (final !== 'folder' && trail.length === 0) {
        throw new AppError('bad_request', `${WORKSPACE} itself is not a file.`);
      }
      handed = true;
      return current;
    } finally {
      if (!handed) await current.close();
    }
  }

  /** Opens the folder at `trail` again from the workspace, each name without following a link. */
  private async reopen(trail: string[], sandboxPath: string): Promise<FileHandle> {
    let folder = await open(this.folder, FOLDER);
    for (const name of trail) {
      try {
        const next = await openIn(folder, name, 'folder');
        await folder.close();
        folder = next;
      } catch (error) {
        await folder.close();
        if (['ENOENT', 'ENOTDIR', 'ELOOP'].includes(codeOf(error) ?? ''))
          throw missing(sandboxPath);
        throw error;
      }
    }
    return folder;
  }
}

/** Opens `name` inside `folder`, never following a link; ELOOP or ENOTDIR when it is one. */
async function openIn(folder: FileHandle, name: string, mode: Final): Promise<FileHandle> {
  if (mode === 'folder') return open(at(folder, name), FOLDER);
  if (mode === 'read') {
    const handle = await open(at(folder, name), READ);
    if ((await handle.stat()).isDirectory()) {
      await handle.close();
      throw Object.assign(new Error(`${name} is a folder`), { code: 'EISDIR' });
    }
    return handle;
  }
  return open(at(folder, name), WRITE, 0o644);
}
