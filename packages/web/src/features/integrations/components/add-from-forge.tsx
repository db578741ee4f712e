/**
 * @module features/integrations/components/add-from-forge
 * "Add from GitHub / GitLab": buttons for the connected forges, each opening a searchable,
 * paginated list of the account's repositories; adding one creates the Lucid repository (a mirror
 * of it), shows its webhook's payload URL and secret this once, and then hands it to `onAdded`.
 */
import { useState } from 'react';
import { Link } from 'wouter';
import type { ForgeProvider, LinkedRepo, Repo } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { InputField } from '../../../components/ui/input.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { WebhookSecret } from '../../../components/ui/webhook-secret.tsx';
import {
  forgeNames,
  useAddForgeRepo,
  useForgeRepos,
  useIntegrations,
  useRefreshRepos,
} from '../api/integrations.ts';

function ForgeRepoPicker({
  provider,
  onAdded,
  onClose,
}: {
  provider: ForgeProvider;
  onAdded: (repo: LinkedRepo) => void;
  onClose: () => void;
}) {
  const [q, setQ] = useState('');
  const [page, setPage] = useState(1);
  const repos = useForgeRepos(provider, { q, page });
  const add = useAddForgeRepo();
  const name = forgeNames[provider];
  return (
    <section
      aria-label={`Add from ${name}`}
      className="mt-3 rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200"
    >
      <div className="flex items-end justify-between gap-3">
        <InputField
          label={`Search your ${name} repositories`}
          type="search"
          className="w-80"
          value={q}
          onChange={(event) => {
            setQ(event.target.value);
            setPage(1);
          }}
        />
        <Button variant="ghost" size="sm" onClick={onClose}>
          Close
        </Button>
      </div>
      {add.error && (
        <div className="mt-3">
          <ErrorMessage title="The repository was not added" error={add.error} />
        </div>
      )}
      <div className="mt-3">
        {repos.isPending ? (
          <Loading label={`Loading your ${name} repositories…`} />
        ) : repos.error ? (
          <ErrorMessage error={repos.error} onRetry={() => void repos.refetch()} />
        ) : repos.data.repos.length === 0 ? (
          <p className="text-sm text-slate-600">No repository matches.</p>
        ) : (
          <ul aria-label={`${name} repositories`} className="divide-y divide-slate-100">
            {repos.data.repos.map((repo) => (
              <li key={repo.id} className="flex items-center justify-between gap-3 py-2">
                <div className="min-w-0">
                  <p className="truncate font-mono text-sm text-slate-900">{repo.fullName}</p>
                  <p className="truncate text-xs text-slate-500">
                    {repo.private ? 'private' : 'public'} · {repo.defaultBranch}
                    {repo.description ? ` · ${repo.description}` : ''}
                  </p>
                </div>
                <Button
                  size="sm"
                  variant="secondary"
                  aria-label={`Add ${repo.fullName}`}
                  pending={add.isPending && add.variables.fullName === repo.fullName}
                  pendingText="Adding…"
                  disabled={add.isPending}
                  onClick={() =>
                    add.mutate({ provider, fullName: repo.fullName }, { onSuccess: onAdded })
                  }
                >
                  Add
                </Button>
              </li>
            ))}
          </ul>
        )}
      </div>
      {repos.data && (page > 1 || repos.data.nextPage !== null) && (
        <div className="mt-3 flex items-center gap-2 text-sm text-slate-600">
          <Button
            size="sm"
            variant="secondary"
            disabled={page <= 1}
            onClick={() => setPage((p) => Math.max(1, p - 1))}
          >
            Previous
          </Button>
          <span>Page {page}</span>
          <Button
            size="sm"
            variant="secondary"
            disabled={repos.data.nextPage === null}
            onClick={() => setPage(repos.data?.nextPage ?? page)}
          >
            Next
          </Button>
        </div>
      )}
    </section>
  );
}

/**
 * The "Add from …" buttons (one per connected forge) and the picker they open; a link to the
 * integrations settings when no forge is connected.
 */
export function AddFromForge({ onAdded }: { onAdded: (repo: Repo) => void }) {
  const integrations = useIntegrations();
  const [open, setOpen] = useState<ForgeProvider | null>(null);
  const [added, setAdded] = useState<{ repo: LinkedRepo; provider: ForgeProvider } | null>(null);
  const refreshRepos = useRefreshRepos();
  if (added) {
    return (
      <WebhookSecret
        provider={added.provider}
        repoName={added.repo.name}
        webhook={added.repo.webhookSecret}
        doneLabel="Continue"
        onDone={() => {
          setAdded(null);
          void refreshRepos();
          onAdded(added.repo);
        }}
      />
    );
  }
  if (!integrations.data) return null;
  const connected = integrations.data.integrations.map((i) => i.provider);
  if (connected.length === 0) {
    return (
      <p className="text-sm text-slate-600">
        <Link href="/settings/integrations" className="font-medium text-indigo-600 hover:underline">
          Connect GitHub or GitLab
        </Link>{' '}
        to add their repositories.
      </p>
    );
  }
  return (
    <div>
      <div className="flex flex-wrap gap-2">
        {connected.map((provider) => (
          <Button
            key={provider}
            variant="secondary"
            size="sm"
            onClick={() => setOpen(open === provider ? null : provider)}
            aria-expanded={open === provider}
          >
            Add from {forgeNames[provider]}
          </Button>
        ))}
      </div>
      {open && (
        <ForgeRepoPicker
          key={open}
          provider={open}
          onClose={() => setOpen(null)}
          onAdded={(repo) => {
            setOpen(null);
            setAdded({ repo, provider: open });
          }}
        />
      )}
    </div>
  );
}
