/**
 * @module features/board/components/card-form-dialog
 * Creating or editing a card in a modal. A new card gets its title, its description (the prompt
 * the agent works on), the branch its work starts from (the default branch unless another is
 * picked), the agent and the model, whether it plans first, and how many attempts it makes
 * (best-of-N, started with the card), with the same pickers as the new task form. An
 * existing card can change all of them while it is to do and has never run; once it has run, only
 * its title, and the rest is shown as it is, saying why.
 */
import { useState, type FormEvent } from 'react';
import type { BoardCard, KeepMode, PlanMode } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { InputField, TextareaField } from '../../../components/ui/input.tsx';
import { PlanModeField } from '../../../components/ui/plan-mode-field.tsx';
import { AttemptsFields } from '../../../components/ui/attempts-fields.tsx';
import { fieldErrors } from '../../../lib/api.ts';
import { useBranches } from '../../../lib/repo-branches.ts';
import {
  AgentModelFields,
  useAgentModelChoice,
} from '../../../components/ui/agent-model-fields.tsx';
import { useCreateCard, useUpdateCard } from '../api/board.ts';
import { Modal } from '../../../components/ui/modal.tsx';

/** The branch a new card's work starts from: the repository's branches, the default first. */
function BaseBranchField({
  repoId,
  defaultBranch,
  value,
  onChange,
}: {
  repoId: string;
  defaultBranch: string;
  value: string;
  onChange: (branch: string) => void;
}) {
  const branches = useBranches(repoId);
  const names = [
    defaultBranch,
    ...(branches.data ?? []).map((b) => b.name).filter((name) => name !== defaultBranch),
  ];
  return (
    <label className="block text-sm font-medium text-slate-700">
      Base branch
      <select
        name="baseBranch"
        className="mt-1.5 block w-full rounded-md border-0 py-2 pr-8 pl-3 font-mono text-sm ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-indigo-600"
        value={value || defaultBranch}
        onChange={(event) => onChange(event.target.value)}
      >
        {names.map((name) => (
          <option key={name} value={name}>
            {name}
            {name === defaultBranch ? ' (default)' : ''}
          </option>
        ))}
      </select>
      <span className="mt-1 block text-xs font-normal text-slate-500">
        The agent starts from this branch, and approving the card merges into it.
      </span>
    </label>
  );
}

function CardForm({
  repoId,
  defaultBranch,
  card,
  onDone,
}: {
  repoId: string;
  defaultBranch: string;
  card: BoardCard | null;
  onDone: () => void;
}) {
  const create = useCreateCard(repoId);
  const update = useUpdateCard(card?.id ?? '');
  const mutation = card ? update : create;
  /** A card's work can change until its first run: that run's conversation opens with it. */
  const editable = card === null || (card.status === 'todo' && card.latestRun === null);
  const choice = useAgentModelChoice({ agent: card?.agent, model: card?.model });
  const [title, setTitle] = useState(card?.title ?? '');
  const [prompt, setPrompt] = useState(card?.prompt ?? '');
  const [baseBranch, setBaseBranch] = useState('');
  const [planMode, setPlanMode] = useState<PlanMode | ''>('');
  const [attempts, setAttempts] = useState(1);
  const [keep, setKeep] = useState<KeepMode>('choose');
  const errors = fieldErrors(mutation.error);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const work = { prompt: prompt.trim(), agent: choice.agent, model: choice.model || undefined };
    if (card) {
      update.mutate({ title: title.trim(), ...(editable ? work : {}) }, { onSuccess: onDone });
    } else {
      create.mutate(
        {
          title: title.trim(),
          ...work,
          baseBranch: baseBranch && baseBranch !== defaultBranch ? baseBranch : undefined,
          planMode: planMode || undefined,
          ...(attempts > 1 ? { attempts, keep } : {}),
        },
        { onSuccess: onDone },
      );
    }
  };

  return (
    <form onSubmit={onSubmit} className="space-y-4" aria-label={card ? 'Edit card' : 'New card'}>
      <InputField
        label="Title"
        name="title"
        required
        maxLength={200}
        value={title}
        error={errors.title}
        onChange={(event) => setTitle(event.target.value)}
        autoFocus
      />
      <TextareaField
        label="Description"
        name="prompt"
        required
        rows={5}
        hint={
          editable
            ? 'What the agent should do: this is its prompt.'
            : 'The prompt the agent worked on: it can only be changed before the card first runs.'
        }
        value={prompt}
        error={errors.prompt}
        readOnly={!editable}
        onChange={(event) => setPrompt(event.target.value)}
      />
      {card === null && (
        <BaseBranchField
          repoId={repoId}
          defaultBranch={defaultBranch}
          value={baseBranch}
          onChange={setBaseBranch}
        />
      )}
      {!editable && card ? (
        <p className="text-sm text-slate-600">
          Agent <span className="font-medium">{card.agent ?? 'commands'}</span>
          {card.model && (
            <>
              {' '}
              · model <span className="font-mono">{card.model}</span>
            </>
          )}{' '}
          — this card has already run, so its agent and model stay as they were.
        </p>
      ) : (
        <AgentModelFields choice={choice} />
      )}
      {card === null && <PlanModeField value={planMode} onChange={setPlanMode} />}
      {card === null && (
        <AttemptsFields attempts={attempts} keep={keep} onAttempts={setAttempts} onKeep={setKeep} />
      )}
      {mutation.error && !errors.title && !errors.prompt && (
        <ErrorMessage
          title={card ? 'Could not save the card' : 'Could not create the card'}
          error={mutation.error}
        />
      )}
      <div className="flex justify-end gap-3">
        <Button variant="secondary" onClick={onDone} disabled={mutation.isPending}>
          Cancel
        </Button>
        <Button
          type="submit"
          pending={mutation.isPending}
          pendingText="Saving…"
          disabled={title.trim() === '' || prompt.trim() === '' || (editable && choice.noFit)}
        >
          {card ? 'Save card' : 'Create card'}
        </Button>
      </div>
    </form>
  );
}

/** The card form in a modal; `card` null creates a card in To Do. */
export function CardFormDialog({
  open,
  repoId,
  defaultBranch,
  card,
  onClose,
}: {
  open: boolean;
  repoId: string;
  /** The repository's default branch, which a new card starts from unless another is picked. */
  defaultBranch: string;
  card: BoardCard | null;
  onClose: () => void;
}) {
  return (
    <Modal open={open} title={card ? 'Edit card' : 'New card'} onClose={onClose} wide>
      <CardForm
        key={card?.id ?? 'new'}
        repoId={repoId}
        defaultBranch={defaultBranch}
        card={card}
        onDone={onClose}
      />
    </Modal>
  );
}
