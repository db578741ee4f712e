/**
 * @module features/repos/components/vercel-link-card
 * A repository's Vercel project, for the admins of its workspace: which project its tasks' previews
 * are deployed to, and a form choosing one among the projects a Vercel connection reaches.
 */
import { useState, type FormEvent } from 'react';
import type { Repo } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { Card } from '../../../components/ui/card.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import {
  useLinkVercel,
  useVercelLink,
  useVercelProjects,
  useVercelStatus,
} from '../../../lib/queries/vercel.ts';

const selectClass =
  'mt-1 block w-72 rounded-md border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900';

export function VercelLinkCard({ repo }: { repo: Repo }) {
  const link = useVercelLink(repo.id);
  const status = useVercelStatus();
  const save = useLinkVercel(repo.id);
  const usable = (status.data?.connections ?? []).filter(
    (c) => c.owner === 'user' || c.workspaceId === repo.workspaceId,
  );
  const [connectionId, setConnectionId] = useState('');
  const chosen = connectionId || usable[0]?.id || '';
  const projects = useVercelProjects(chosen);
  const [projectId, setProjectId] = useState('');
  const current = link.data?.link;
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const project = projectId || projects.data?.projects[0]?.id;
    if (!chosen || !project) return;
    save.mutate({ connectionId: chosen, projectId: project });
  };
  return (
    <Card
      title="Vercel"
      description="Each task’s pull request (or pushed branch) is deployed as a preview to this project."
      label="Vercel project"
    >
      {link.isPending || status.isPending ? (
        <Loading label="Loading Vercel…" />
      ) : (
        <>
          <p className="text-sm text-slate-700">
            {current ? (
              <>
                Linked to <span className="font-medium">{current.projectName}</span>
                {current.gitRepo && ` (built from ${current.gitRepo})`}.
              </>
            ) : (
              'Not linked to a Vercel project.'
            )}
          </p>
          {usable.length === 0 ? (
            <p className="mt-2 text-sm text-slate-600">
              Connect Vercel in Settings → Integrations to choose a project.
            </p>
          ) : (
            <form
              onSubmit={onSubmit}
              aria-label="Link a Vercel project"
              className="mt-3 flex flex-wrap items-end gap-3"
            >
              {usable.length > 1 && (
                <label className="text-sm font-medium text-slate-700">
                  Account
                  <select
                    className={selectClass}
                    value={chosen}
                    onChange={(event) => setConnectionId(event.target.value)}
                  >
                    {usable.map((c) => (
                      <option key={c.id} value={c.id}>
                        {c.username}
                        {c.owner === 'workspace' ? ' (workspace)' : ''}
                      </option>
                    ))}
                  </select>
                </label>
              )}
              <label className="text-sm font-medium text-slate-700">
                Project
                <select
                  className={selectClass}
                  value={projectId || projects.data?.projects[0]?.id || ''}
                  onChange={(event) => setProjectId(event.target.value)}
                >
                  {(projects.data?.projects ?? []).map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.name}
                    </option>
                  ))}
                </select>
              </label>
              <Button type="submit" size="sm" pending={save.isPending} pendingText="Linking…">
                {current ? 'Change project' : 'Link project'}
              </Button>
              {current && (
                <Button variant="ghost" size="sm" onClick={() => save.mutate(null)}>
                  Unlink
                </Button>
              )}
            </form>
          )}
          {(save.error ?? projects.error) && (
            <div className="mt-3">
              <ErrorMessage title="Not linked" error={save.error ?? projects.error} />
            </div>
          )}
        </>
      )}
    </Card>
  );
}
