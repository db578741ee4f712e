/**
 * @module features/workspaces/components/workspace-switcher
 * The header's choice of the active workspace, and the way to its settings.
 */
import { Link } from 'wouter';
import { setActiveWorkspace, useActiveWorkspace } from '../../../lib/active-workspace.ts';

export function WorkspaceSwitcher() {
  const { workspace, workspaces } = useActiveWorkspace();
  if (!workspace) return null;
  return (
    <div className="flex items-center gap-1">
      <label htmlFor="workspace-switcher" className="sr-only">
        Workspace
      </label>
      <select
        id="workspace-switcher"
        value={workspace.id}
        onChange={(event) => setActiveWorkspace(event.target.value)}
        className="max-w-40 rounded-md border-0 bg-slate-800 py-1 pr-7 pl-2 text-sm text-white"
      >
        {workspaces.map((w) => (
          <option key={w.id} value={w.id}>
            {w.personal ? 'Personal' : w.name}
          </option>
        ))}
      </select>
      <Link
        href="/settings/workspace"
        className="rounded-md px-2 py-1 text-xs text-slate-300 hover:bg-slate-800/60 hover:text-white"
      >
        Workspace settings
      </Link>
    </div>
  );
}
