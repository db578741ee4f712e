/**
 * @module app/pages/new-task-page
 * Starting a task: the repository, what to do, which agent and model, and the branch to start
 * from. The agents are the server's (`GET /api/v1/agents`): those it does not run are listed but
 * cannot be chosen, and the models offered are those of a provider the chosen agent speaks. A
 * refused agent or model is shown as the server words it (a refused model under the model field);
 * with no usable model the page points to the model provider settings. A `?repo=` (id or name)
 * that names no repository of the user's says so and lets them pick one, rather than silently
 * taking another. Near the prompt's limit a counter shows, and a prompt over it is refused before
 * it is sent. "From Notion" picks a page of a mapped Notion database: its Markdown and address
 * fill the prompt, its mapping the repository and base branch, and the task keeps its link.
 * Attempts (best-of-N) run the task 2 to 5 times at once, each on its own branch; the user keeps
 * one, or Lucid keeps the top-ranked one.
 */
import { useCallback, useState, type FormEvent } from 'react';
import { PROMPT_MAX_CHARS, type PlanMode } from '@lucid/contracts';
import { Link, useLocation, useSearchParams } from 'wouter';
import { Button, buttonClass } from '../../components/ui/button.tsx';
import { Card } from '../../components/ui/card.tsx';
import { ErrorMessage } from '../../components/ui/error-message.tsx';
import { TextareaField } from '../../components/ui/input.tsx';
import { PlanModeField } from '../../components/ui/plan-mode-field.tsx';
import { AttemptsFields } from '../../components/ui/attempts-fields.tsx';
import { PageHeader } from '../../components/ui/page-header.tsx';
import { hasRepos, ReposGate } from '../../components/ui/repos-gate.tsx';
import { fieldErrors, modelRefusal } from '../../lib/api.ts';
import { useTitle } from '../../lib/use-title.ts';
import { useBranches } from '../../lib/queries/repo-history.ts';
import { useRepos } from '../../lib/queries/repos.ts';
import { AddFromForge } from '../../features/integrations/components/add-from-forge.tsx';
import { useCreateTask } from '../../lib/queries/tasks.ts';
import { useCreateNotionTask } from '../../lib/queries/notion.ts';
import { FromNotion, type NotionPick } from '../../features/notion/components/from-notion.tsx';
import {
  AgentModelFields,
  selectClass,
  useAgentModelChoice,
} from '../../components/ui/agent-model-fields.tsx';

export function NewTaskPage() {
  useTitle('New task');
  const [params] = useSearchParams();
  const [, navigate] = useLocation();
  const repos = useRepos();
  const choice = useAgentModelChoice();
  const createPlainTask = useCreateTask();
  const createNotionTask = useCreateNotionTask();
  const [mode, setMode] = useState<'describe' | 'notion'>(
    params.get('from') === 'notion' ? 'notion' : 'describe',
  );
  const [notionPick, setNotionPick] = useState<NotionPick | null>(null);
  const fromNotion = mode === 'notion' && notionPick !== null;
  const createTask = fromNotion ? createNotionTask : createPlainTask;

  const asked = params.get('repo') ?? '';
  const [repoChoice, setRepoId] = useState(asked);
  const [prompt, setPrompt] = useState('');
  const [attempts, setAttempts] = useState(1);
  const [keep, setKeep] = useState<'choose' | 'auto'>('choose');
  const [planMode, setPlanMode] = useState<PlanMode | ''>('');
  /** The branch chosen, for the repository it was chosen in. */
  const [branchChoice, setBranchChoice] = useState({ repoId: '', branch: '' });

  const named = repos.data?.find((r) => r.id === repoChoice || r.name === repoChoice);
  /** The `?repo=` asked for names none of the user's repositories: they pick one. */
  const unknownRepo = repoChoice !== '' && repos.data !== undefined && named === undefined;
  const repo = unknownRepo ? undefined : (named ?? repos.data?.[0]);
  const repoId = repo?.id ?? '';
  const branches = useBranches(repoId);
  const baseBranch =
    branchChoice.repoId === repoId && branchChoice.branch
      ? branchChoice.branch
      : (repo?.defaultBranch ?? '');
  const setBaseBranch = (branch: string) => setBranchChoice({ repoId, branch });
  const onNotionPick = useCallback((pick: NotionPick) => {
    setNotionPick(pick);
    setPrompt(pick.prompt);
    setRepoId(pick.repoId);
    setBranchChoice({ repoId: pick.repoId, branch: pick.baseBranch ?? '' });
  }, []);
  const { agent, model, noFit } = choice;

  if (!hasRepos(repos)) {
    return (
      <ReposGate
        repos={repos}
        emptyTitle="No repository to work on"
        emptyText={
          <>
            A task works on a repository stored in Lucid. Push or ingest one first, or add one from
            a forge:
            <div className="mt-4">
              <AddFromForge onAdded={(added) => setRepoId(added.id)} />
            </div>
          </>
        }
      />
    );
  }

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!repoId || prompt.trim().length > PROMPT_MAX_CHARS) return;
    const input = {
      repoId,
      prompt: prompt.trim(),
      agent,
      ...(model ? { model } : {}),
      ...(baseBranch ? { baseBranch } : {}),
      ...(planMode ? { planMode } : {}),
    };
    const onSuccess = ({ task }: { task: { id: string } }) => navigate(`/tasks/${task.id}`);
    if (fromNotion) {
      createNotionTask.mutate(
        { ...input, pageId: notionPick.pageId, connectionId: notionPick.connectionId },
        { onSuccess },
      );
    } else {
      createPlainTask.mutate(
        { ...input, source: 'chat', ...(attempts > 1 ? { attempts, keep } : {}) },
        { onSuccess },
      );
    }
  };
  const errors = fieldErrors(createTask.error);
  const length = prompt.trim().length;
  const overLimit = length > PROMPT_MAX_CHARS;
  const promptHint =
    length >= PROMPT_MAX_CHARS * 0.9
      ? `${length.toLocaleString('en')} / ${PROMPT_MAX_CHARS.toLocaleString('en')} characters`
      : undefined;
  const promptError =
    errors.prompt ??
    (overLimit
      ? `The prompt is ${(length - PROMPT_MAX_CHARS).toLocaleString('en')} characters over the limit of ${PROMPT_MAX_CHARS.toLocaleString('en')}: shorten it, or put the details in a file of the repository.`
      : undefined);
  const modelError = modelRefusal(createTask.error);

  return (
    <>
      <PageHeader
        title="New task"
        description="Say what to change; an agent works on it in a sandbox, on a branch of its own."
      />
      <Card>
        <div role="tablist" aria-label="Where the task comes from" className="mb-5 flex gap-1">
          {(
            [
              ['describe', 'Describe it'],
              ['notion', 'From Notion'],
            ] as const
          ).map(([value, label]) => (
            <button
              key={value}
              type="button"
              role="tab"
              aria-selected={mode === value}
              onClick={() => setMode(value)}
              className={`rounded-md px-3 py-1 text-sm font-medium ${
                mode === value ? 'bg-slate-900 text-white' : 'text-slate-600 hover:bg-slate-100'
              }`}
            >
              {label}
            </button>
          ))}
        </div>
        {mode === 'notion' && (
          <div className="mb-5 border-b border-slate-200 pb-5">
            <FromNotion repos={repos.data} onPick={onNotionPick} />
          </div>
        )}
        <form onSubmit={onSubmit} className="space-y-5" aria-label="New task">
          {fromNotion && (
            <p className="rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-700 ring-1 ring-slate-200">
              From Notion: <strong>{notionPick.title}</strong> ·{' '}
              <a
                href={notionPick.url}
                target="_blank"
                rel="noreferrer"
                className="text-indigo-700 underline"
              >
                open the page
              </a>
            </p>
          )}
          {unknownRepo && (
            <p
              role="alert"
              className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-200"
            >
              No repository named “{repoChoice}” — pick one.
            </p>
          )}
          <div className="grid gap-5 sm:grid-cols-2">
            <label className="block text-sm font-medium text-slate-700">
              Repository
              <select
                className={selectClass}
                value={repoId}
                required
                onChange={(event) => setRepoId(event.target.value)}
              >
                {unknownRepo && (
                  <option value="" disabled>
                    Pick a repository
                  </option>
                )}
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
                className={selectClass}
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
            hint={promptHint}
            error={promptError}
            onChange={(event) => setPrompt(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && (event.metaKey || event.ctrlKey)) {
                event.currentTarget.form?.requestSubmit();
              }
            }}
          />
          <AgentModelFields choice={choice} modelError={modelError} />
          {!fromNotion && (
            <AttemptsFields
              attempts={attempts}
              keep={keep}
              onAttempts={setAttempts}
              onKeep={setKeep}
            />
          )}
          <PlanModeField value={planMode} onChange={setPlanMode} />
          {createTask.error && !errors.prompt && !overLimit && !modelError && (
            <ErrorMessage title="Could not start the task" error={createTask.error} />
          )}
          <div className="flex items-center gap-3">
            <Button
              type="submit"
              pending={createTask.isPending}
              pendingText="Starting…"
              disabled={!repoId || prompt.trim() === '' || overLimit || noFit}
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
