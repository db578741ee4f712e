/**
 * @module features/tasks/components/new-task-page
 * Starting a task: the repository, what to do, which agent and model, and the branch to start
 * from. The agents are the server's (`GET /api/v1/agents`): those it does not run are listed but
 * cannot be chosen, and the models offered are those of a provider the chosen agent speaks. A
 * refused agent or model is shown as the server words it; with no usable model the page points to
 * the model provider settings.
 */
import { useState, type FormEvent } from 'react';
import { Link, useLocation, useSearchParams } from 'wouter';
import type { AgentInfo, AgentName } from '@lucid/contracts';
import { Button, buttonClass } from '../../../components/ui/button.tsx';
import { Card } from '../../../components/ui/card.tsx';
import { EmptyState } from '../../../components/ui/empty-state.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { TextareaField } from '../../../components/ui/input.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { PageHeader } from '../../../components/ui/page-header.tsx';
import { fieldErrors } from '../../../lib/api.ts';
import { useTitle } from '../../../lib/use-title.ts';
import { useModels } from '../../providers/api/providers.ts';
import { useBranches } from '../../repos/api/get-history.ts';
import { useRepos } from '../../repos/api/get-repos.ts';
import { AddFromForge } from '../../integrations/components/add-from-forge.tsx';
import { modelsFor, useAgents } from '../api/agents.ts';
import { useCreateTask } from '../api/tasks.ts';

const select =
  'mt-1.5 block w-full rounded-md border-0 bg-white py-2 pr-8 pl-3 text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600 disabled:bg-slate-50 disabled:text-slate-500';

const agentLabels: Record<AgentName, string> = {
  lucid: 'Lucid (built in)',
  'claude-code': 'Claude Code',
  codex: 'Codex',
  gemini: 'Gemini CLI',
  opencode: 'opencode',
  cursor: 'Cursor CLI',
};

/** Offered while the server's list loads or when it cannot be read: the built-in agent. */
const builtIn: AgentInfo = { name: 'lucid', available: true, providers: null, version: null };

function agentOption(agent: AgentInfo): string {
  const label = agent.version
    ? `${agentLabels[agent.name]} ${agent.version}`
    : agentLabels[agent.name];
  return agent.available ? label : `${label} (not enabled on this server)`;
}

function SettingsLink() {
  return (
    <Link href="/settings/providers" className="font-medium text-indigo-600 underline">
      Settings → Model providers
    </Link>
  );
}

export function NewTaskPage() {
  useTitle('New task');
  const [params] = useSearchParams();
  const [, navigate] = useLocation();
  const repos = useRepos();
  const models = useModels();
  const agents = useAgents();
  const createTask = useCreateTask();

  const [repoChoice, setRepoId] = useState(params.get('repo') ?? '');
  const [prompt, setPrompt] = useState('');
  const [agentChoice, setAgent] = useState<AgentName>('lucid');
  const [modelChoice, setModel] = useState('');
  /** The branch chosen, for the repository it was chosen in. */
  const [branchChoice, setBranchChoice] = useState({ repoId: '', branch: '' });

  const repo = repos.data?.find((r) => r.id === repoChoice) ?? repos.data?.[0];
  const repoId = repo?.id ?? '';
  const branches = useBranches(repoId);
  const baseBranch =
    branchChoice.repoId === repoId && branchChoice.branch
      ? branchChoice.branch
      : (repo?.defaultBranch ?? '');
  const setBaseBranch = (branch: string) => setBranchChoice({ repoId, branch });
  const agentList = agents.data ?? [builtIn];
  const chosenAgent =
    agentList.find((a) => a.name === agentChoice && a.available) ??
    agentList.find((a) => a.available) ??
    builtIn;
  const agent = chosenAgent.name;
  const fitting = modelsFor(chosenAgent, models.data ?? []);
  const model =
    fitting.find((m) => m.id === modelChoice)?.id ??
    (fitting.find((m) => m.default) ?? fitting[0])?.id ??
    '';

  if (repos.isPending) return <Loading label="Loading repositories…" />;
  if (repos.error) {
    return (
      <ErrorMessage
        title="Could not load your repositories"
        error={repos.error}
        onRetry={() => void repos.refetch()}
      />
    );
  }
  if (repos.data.length === 0) {
    return (
      <EmptyState
        title="No repository to work on"
        action={
          <Link href="/repos" className={buttonClass('primary')}>
            Add a repository
          </Link>
        }
      >
        A task works on a repository stored in Lucid. Push or ingest one first, or add one from a
        forge:
        <div className="mt-4">
          <AddFromForge onAdded={(added) => setRepoId(added.id)} />
        </div>
      </EmptyState>
    );
  }

  const noModel = models.data?.length === 0;
  /** Models are usable, but none of a provider the chosen agent speaks. */
  const noFit = !noModel && models.data !== undefined && fitting.length === 0;
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    createTask.mutate(
      {
        repoId,
        prompt: prompt.trim(),
        agent,
        ...(model ? { model } : {}),
        ...(baseBranch ? { baseBranch } : {}),
      },
      { onSuccess: ({ task }) => navigate(`/tasks/${task.id}`) },
    );
  };
  const errors = fieldErrors(createTask.error);

  return (
    <>
      <PageHeader
        title="New task"
        description="Say what to change; an agent works on it in a sandbox, on a branch of its own."
      />
      <Card>
        <form onSubmit={onSubmit} className="space-y-5" aria-label="New task">
          <div className="grid gap-5 sm:grid-cols-2">
            <label className="block text-sm font-medium text-slate-700">
              Repository
              <select
                className={select}
                value={repoId}
                required
                onChange={(event) => setRepoId(event.target.value)}
              >
                {repos.data.map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name}
                  </option>
                ))}
              </select>
            </label>
            <label className="block text-sm font-medium text-slate-700">
              Base branch
              <select
                className={select}
                value={baseBranch}
                onChange={(event) => setBaseBranch(event.target.value)}
                disabled={!branches.data?.length}
              >
                {branches.data?.length ? (
                  branches.data.map((branch) => (
                    <option key={branch.name} value={branch.name}>
                      {branch.name}
                    </option>
                  ))
                ) : (
                  <option value={baseBranch}>{baseBranch || 'No branches yet'}</option>
                )}
              </select>
            </label>
          </div>
          <AddFromForge onAdded={(added) => setRepoId(added.id)} />
          <TextareaField
            label="What should be done?"
            name="prompt"
            required
            rows={6}
            placeholder="Add a --verbose flag to the CLI and document it in the README."
            value={prompt}
            error={errors.prompt}
            onChange={(event) => setPrompt(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && (event.metaKey || event.ctrlKey)) {
                event.currentTarget.form?.requestSubmit();
              }
            }}
          />
          <div className="grid gap-5 sm:grid-cols-2">
            <div>
              <label className="block text-sm font-medium text-slate-700">
                Agent
                <select
                  className={select}
                  value={agent}
                  onChange={(event) => setAgent(event.target.value as AgentName)}
                  aria-describedby="agent-hint"
                >
                  {agentList.map((a) => (
                    <option key={a.name} value={a.name} disabled={!a.available}>
                      {agentOption(a)}
                    </option>
                  ))}
                </select>
              </label>
              <p id="agent-hint" className="mt-1.5 text-xs text-slate-500">
                {agents.isPending
                  ? 'Loading agents…'
                  : agents.error
                    ? 'Could not load the agents this server offers; the built-in one works.'
                    : chosenAgent.providers
                      ? `Works with ${chosenAgent.providers.join(', ')} models.`
                      : 'Works with every model.'}
              </p>
            </div>
            <div>
              <label className="block text-sm font-medium text-slate-700">
                Model
                <select
                  className={select}
                  value={model}
                  disabled={fitting.length === 0}
                  onChange={(event) => setModel(event.target.value)}
                  aria-describedby="model-hint"
                >
                  {fitting.map((m) => (
                    <option key={m.id} value={m.id}>
                      {m.id}
                      {m.default ? ' (default)' : ''}
                    </option>
                  ))}
                </select>
              </label>
              <p id="model-hint" className="mt-1.5 text-xs text-slate-500">
                {models.isPending ? (
                  'Loading models…'
                ) : models.error ? (
                  'Could not load the models.'
                ) : noModel ? (
                  <span role="alert" className="text-amber-800">
                    No model is usable yet: add a provider key in <SettingsLink />.
                  </span>
                ) : noFit ? (
                  <span role="alert" className="text-amber-800">
                    No usable model is one {agentLabels[agent]} works with (
                    {chosenAgent.providers?.join(', ')}): add a key for one in <SettingsLink />, or
                    choose another agent.
                  </span>
                ) : (
                  <>
                    Models come from the server's providers and your keys in <SettingsLink />.
                  </>
                )}
              </p>
            </div>
          </div>
          {createTask.error && !errors.prompt && (
            <ErrorMessage title="Could not start the task" error={createTask.error} />
          )}
          <div className="flex items-center gap-3">
            <Button
              type="submit"
              pending={createTask.isPending}
              pendingText="Starting…"
              disabled={!repoId || prompt.trim() === '' || noFit}
            >
              Start task
            </Button>
            <Link href="/tasks" className={buttonClass('ghost')}>
              Cancel
            </Link>
          </div>
        </form>
      </Card>
    </>
  );
}
