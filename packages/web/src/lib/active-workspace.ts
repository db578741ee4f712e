/**
 * @module lib/active-workspace
 * The workspace the app shows: kept in localStorage, and sent to the API as the `workspaceId`
 * query parameter of every list (repositories, tasks, and so the board's repositories). A stored
 * workspace the user no longer belongs to falls back to their personal one.
 */
import { useSyncExternalStore } from 'react';
import type { Workspace } from '@lucid/contracts';
import { useMe } from './use-me.ts';

const KEY = 'lucid.workspace';
const CHANGED = 'lucid:workspace';

function subscribe(onChange: () => void): () => void {
  window.addEventListener(CHANGED, onChange);
  window.addEventListener('storage', onChange);
  return () => {
    window.removeEventListener(CHANGED, onChange);
    window.removeEventListener('storage', onChange);
  };
}

function stored(): string | null {
  return window.localStorage.getItem(KEY);
}

/** Makes `workspaceId` the active workspace, in this tab and the others. */
export function setActiveWorkspace(workspaceId: string): void {
  window.localStorage.setItem(KEY, workspaceId);
  window.dispatchEvent(new Event(CHANGED));
}

/**
 * The active workspace (undefined while the user's workspaces load) and all of theirs.
 *
 * @example
 * const { workspace } = useActiveWorkspace();
 * const repos = useRepos(workspace?.id);
 */
export function useActiveWorkspace(): {
  workspace: Workspace | undefined;
  workspaces: Workspace[];
} {
  const chosen = useSyncExternalStore(subscribe, stored);
  const me = useMe();
  const workspaces = me.data?.workspaces ?? [];
  const workspace =
    workspaces.find((w) => w.id === chosen) ?? workspaces.find((w) => w.personal) ?? workspaces[0];
  return { workspace, workspaces };
}
