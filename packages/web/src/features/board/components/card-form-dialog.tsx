/**
 * @module features/board/components/card-form-dialog
 * Creating or editing a card in a modal. A new card gets its title, its description (the prompt
 * the agent works on), the agent and the model, with the same pickers as the new task form. An
 * existing card can change all of them while it is to do and has never run; once it has run, only
 * its title, and the rest is shown as it is, saying why.
 */
import { useState, type FormEvent } from 'react';
import type { BoardCard } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { InputField, TextareaField } from '../../../components/ui/input.tsx';
import { fieldErrors } from '../../../lib/api.ts';
import {
  AgentModelFields,
  useAgentModelChoice,
} from '../../tasks/components/agent-model-fields.tsx';
import { useCreateCard, useUpdateCard } from '../api/board.ts';
import { Modal } from '../../../components/ui/modal.tsx';

function CardForm({
  repoId,
  card,
  onDone,
}: {
  repoId: string;
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
  const errors = fieldErrors(mutation.error);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const work = { prompt: prompt.trim(), agent: choice.agent, model: choice.model || undefined };
    if (card) {
      update.mutate({ title: title.trim(), ...(editable ? work : {}) }, { onSuccess: onDone });
    } else {
      create.mutate({ title: title.trim(), ...work }, { onSuccess: onDone });
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
  card,
  onClose,
}: {
  open: boolean;
  repoId: string;
  card: BoardCard | null;
  onClose: () => void;
}) {
  return (
    <Modal open={open} title={card ? 'Edit card' : 'New card'} onClose={onClose} wide>
      <CardForm key={card?.id ?? 'new'} repoId={repoId} card={card} onDone={onClose} />
    </Modal>
  );
}
