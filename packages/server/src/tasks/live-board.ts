/**
 * @module tasks/live-board
 * Board viewers on this server: per repository, who hears of each task that is created, changes
 * status or is deleted, and of each move of its branches, from the live channel's board and refs
 * notes (so a change made on any server sharing the database reaches them).
 */
import type { TaskStatus } from '@lucid/contracts';
import type { BoardNote, RefsNote } from './live-channel.ts';

/**
 * Told that a task of a followed repository changed (status null: it was deleted), or that one of
 * its branches moved (`refs`).
 */
export type BoardListener = (
  change: { kind: 'task'; taskId: string; status: TaskStatus | null } | { kind: 'refs' },
) => void;

/** The board viewers of this server, per repository. */
export class BoardFollowers {
  private readonly boards = new Map<string, Set<BoardListener>>();

  /**
   * Calls `listener` for each change of the repository's tasks and branches until closed.
   *
   * @example
   * const follower = boards.follow(repoId, (change) => send(change));
   */
  follow(repoId: string, listener: BoardListener): { close(): void } {
    let listeners = this.boards.get(repoId);
    if (!listeners) {
      listeners = new Set();
      this.boards.set(repoId, listeners);
    }
    const joined = listeners;
    joined.add(listener);
    return {
      close: () => {
        joined.delete(listener);
        if (joined.size === 0 && this.boards.get(repoId) === joined) this.boards.delete(repoId);
      },
    };
  }

  /** Tells a board or refs note to the viewers of its repository. */
  tell(note: BoardNote | RefsNote): void {
    for (const listener of this.boards.get(note.r) ?? []) {
      listener(
        note.k === 'b' ? { kind: 'task', taskId: note.t, status: note.s } : { kind: 'refs' },
      );
    }
  }
}
