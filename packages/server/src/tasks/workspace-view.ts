/**
 * @module tasks/workspace-view
 * What a task's workspace holds, for people to look at: a directory's entries, a file's content
 * (the first 1 MiB, binary files detected) and the diff of the task's work against its base branch.
 * Read live from the task's sandbox when this server can reach it and the sandbox is the one the
 * task's run put there (its labels name that run's runner, and the task when they name one),
 * otherwise from Lucid's bare repository: the snapshot the reaper left (which holds uncommitted
 * work too), else the task's branch, else its base branch. Paths are relative to the repository root; `..`, absolute paths,
 * symbolic links leading out of the workspace and the `.git` directory are refused.
 */
import { isUtf8 } from 'node:buffer';
import type { FileContent, FileList, TaskDiff, WorkspaceSource } from '@lucid/contracts';
import type { Db } from '../db/client.ts';
import { AppError } from '../errors.ts';
import { bareRepoPath } from '../git/bare-repo.ts';
import {
  diffCommits,
  EMPTY_TREE,
  forkPoint,
  listTree,
  pathType,
  readBlob,
  resolveCommit,
} from '../git/tree-read.ts';
import type { Sandbox } from '../sandbox/driver.ts';
import {
  listWorkspaceDir,
  readWorkspaceFile,
  WorkspacePathError,
  workspaceDiff,
} from '../sandbox/workspace-reader.ts';
import { ownedBy } from '../runner/sandbox-owner.ts';
import type { TaskRow } from './runs.ts';
import { sandboxRunner } from './snapshots.ts';

/** Finds a sandbox by id where this server can reach it (the server's own runner's driver). */
export interface SandboxLookup {
  get(id: string): Promise<Sandbox | null>;
}

export interface WorkspaceViewContext {
  db: Db;
  gitRoot: string;
  sandboxes?: SandboxLookup | undefined;
}

/** The most of a file returned, and of a diff. */
export const MAX_FILE_BYTES = 1024 * 1024;
export const MAX_DIFF_BYTES = 4 * 1024 * 1024;

/**
 * A path as given, checked and made canonical (`a/b`, `''` for the root).
 *
 * @example
 * workspacePath('./src//index.ts'); // 'src/index.ts'
 */
export function workspacePath(raw: string): string {
  if (raw.includes('\0') || raw.includes('\\')) {
    throw new AppError('bad_request', 'A path may not contain NUL characters or backslashes.');
  }
  if (raw.startsWith('/')) {
    throw new AppError('bad_request', 'Paths are relative to the repository root, not absolute.');
  }
  const parts = raw.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) {
    throw new AppError('bad_request', 'A path may not go up with "..".');
  }
  if (parts.includes('.git')) {
    throw new AppError('file_not_found', 'The .git directory is not part of the workspace view.');
  }
  return parts.join('/');
}

function pathProblem(error: WorkspacePathError, path: string): AppError {
  switch (error.problem) {
    case 'outside':
      return new AppError('bad_request', `${path} leads outside the workspace.`);
    case 'git_dir':
      return new AppError(
        'file_not_found',
        'The .git directory is not part of the workspace view.',
      );
    case 'wrong_type':
      return new AppError('bad_request', `${path || 'The root'} is not of the kind asked for.`);
    default:
      return new AppError('file_not_found', `No ${path} in the task's workspace.`);
  }
}

/**
 * The task's sandbox when this server reaches it, it belongs to the runner whose run put it on
 * the task (and to no other task), and it holds a workspace; null otherwise.
 */
async function liveSandbox(ctx: WorkspaceViewContext, task: TaskRow): Promise<Sandbox | null> {
  if (!task.sandboxId || !ctx.sandboxes) return null;
  const runnerId = await sandboxRunner(ctx.db, { taskId: task.id, sandboxId: task.sandboxId });
  if (!runnerId) return null;
  try {
    const sandbox = await ctx.sandboxes.get(task.sandboxId);
    if (!sandbox || !ownedBy(sandbox.labels, { runnerId, taskId: task.id })) return null;
    const probe = await sandbox.exec(['test', '-d', '/workspace/.git'], { timeoutMs: 10_000 });
    return probe.exitCode === 0 ? sandbox : null;
  } catch {
    return null;
  }
}

/** The commit standing for the workspace in the bare repo, or null when the repo is empty. */
async function storedCommit(repoPath: string, task: TaskRow): Promise<string | null> {
  if (task.snapshotRef) {
    const snapshot = await resolveCommit(repoPath, task.snapshotRef);
    if (snapshot) return snapshot;
  }
  return (
    (await resolveCommit(repoPath, `refs/heads/${task.branch}`)) ??
    (await resolveCommit(repoPath, `refs/heads/${task.baseBranch}`))
  );
}

/** Runs the sandbox reader, or the bare-repo one when the sandbox cannot be read. */
async function fromEither<T>(
  ctx: WorkspaceViewContext,
  task: TaskRow,
  path: string,
  live: (sandbox: Sandbox) => Promise<T>,
  stored: (repoPath: string, commit: string | null) => Promise<T>,
): Promise<T & { source: WorkspaceSource }> {
  const sandbox = await liveSandbox(ctx, task);
  if (sandbox) {
    try {
      return { ...(await live(sandbox)), source: 'sandbox' };
    } catch (error) {
      if (error instanceof WorkspacePathError) throw pathProblem(error, path);
      if (error instanceof AppError) throw error;
      // The sandbox went away while being read: the repository still answers.
    }
  }
  const repoPath = bareRepoPath(ctx.gitRoot, task.repoId);
  return { ...(await stored(repoPath, await storedCommit(repoPath, task))), source: 'branch' };
}

const byDirsThenName = (a: { type: string; name: string }, b: { type: string; name: string }) =>
  a.type === b.type ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.type === 'dir' ? -1 : 1;

/** One directory's entries, directories first, then by name. */
export async function listTaskFiles(
  ctx: WorkspaceViewContext,
  { task, path: raw }: { task: TaskRow; path: string },
): Promise<FileList> {
  const path = workspacePath(raw);
  const { entries, source } = await fromEither(
    ctx,
    task,
    path,
    async (sandbox) => ({ entries: await listWorkspaceDir(sandbox, path) }),
    async (repoPath, commit) => {
      if (!commit) {
        if (path === '') return { entries: [] };
        throw new AppError('file_not_found', `No ${path} in the task's workspace.`);
      }
      const type = await pathType(repoPath, commit, path);
      if (type === null)
        throw new AppError('file_not_found', `No ${path} in the task's workspace.`);
      if (type !== 'dir') throw new AppError('bad_request', `${path} is a file, not a directory.`);
      return { entries: await listTree(repoPath, commit, path) };
    },
  );
  return {
    source,
    path,
    entries: entries
      .filter((entry) => entry.name !== '.git')
      .sort(byDirsThenName)
      .map((entry) => ({ ...entry, path: path ? `${path}/${entry.name}` : entry.name })),
  };
}

/** Whether bytes are text: no NUL and valid UTF-8 (a character cut at the end is allowed). */
function textOf(content: Buffer, truncated: boolean): string | null {
  if (content.subarray(0, 8000).includes(0)) return null;
  for (let cut = 0; cut <= (truncated ? 3 : 0) && cut <= content.length; cut += 1) {
    const head = content.subarray(0, content.length - cut);
    if (isUtf8(head)) return head.toString('utf8');
  }
  return null;
}

/** A file's first 1 MiB: its text, or nothing but its size when it is binary. */
export async function readTaskFile(
  ctx: WorkspaceViewContext,
  { task, path: raw }: { task: TaskRow; path: string },
): Promise<FileContent> {
  const path = workspacePath(raw);
  if (path === '') throw new AppError('bad_request', 'Name a file to read.');
  const { size, content, source } = await fromEither(
    ctx,
    task,
    path,
    (sandbox) => readWorkspaceFile(sandbox, path, MAX_FILE_BYTES),
    async (repoPath, commit) => {
      const type = commit ? await pathType(repoPath, commit, path) : null;
      if (!commit || type === null) {
        throw new AppError('file_not_found', `No ${path} in the task's workspace.`);
      }
      if (type !== 'file') throw new AppError('bad_request', `${path} is a directory, not a file.`);
      return readBlob(repoPath, commit, path, MAX_FILE_BYTES);
    },
  );
  const truncated = size > content.length;
  const text = textOf(content, truncated);
  return { source, path, content: text ?? '', size, binary: text === null, truncated };
}

/** The task's work against its base branch: committed, uncommitted and new files alike. */
export async function taskDiff(ctx: WorkspaceViewContext, task: TaskRow): Promise<TaskDiff> {
  const { diff, truncated, source } = await fromEither(
    ctx,
    task,
    '',
    (sandbox) => workspaceDiff(sandbox, task.baseBranch, MAX_DIFF_BYTES),
    async (repoPath, commit) => {
      if (!commit) return { diff: '', truncated: false };
      const base = await resolveCommit(repoPath, `refs/heads/${task.baseBranch}`);
      const from = base ? await forkPoint(repoPath, base, commit) : EMPTY_TREE;
      const full = await diffCommits(repoPath, from, commit);
      const cut = Buffer.byteLength(full) > MAX_DIFF_BYTES;
      return {
        diff: cut ? Buffer.from(full).subarray(0, MAX_DIFF_BYTES).toString('utf8') : full,
        truncated: cut,
      };
    },
  );
  return { source, base: task.baseBranch, diff, truncated };
}
