/**
 * @module features/tasks/components/plan-card
 * The task's plan on its page: the goal, the files it means to touch, the steps as a checklist
 * (ticked live as the coding run reports each done), how it will test, the risks. While the plan
 * waits for a person, Approve starts the coding run, Edit makes the steps editable (approved as
 * edited), and Reject asks for a note: the task is cancelled, and a retry plans again with it.
 */
import { useState } from 'react';
import type { Plan, TaskStatus } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { RejectDialog, type RejectWords } from '../../../components/ui/reject-dialog.tsx';
import { usePlanDecision } from '../../../lib/queries/tasks.ts';
import type { LivePlan } from '../live/view.ts';

type Step = Plan['steps'][number];

function StepEditor({ steps, onChange }: { steps: Step[]; onChange: (steps: Step[]) => void }) {
  const set = (index: number, change: Partial<Step>) =>
    onChange(steps.map((step, i) => (i === index ? { ...step, ...change } : step)));
  return (
    <ol className="space-y-2">
      {steps.map((step, index) => (
        <li key={index} className="flex items-start gap-2">
          <span className="mt-1.5 w-5 text-right text-xs text-slate-400">{index + 1}.</span>
          <div className="flex-1 space-y-1">
            <input
              aria-label={`Step ${index + 1} title`}
              value={step.title}
              onChange={(event) => set(index, { title: event.target.value })}
              className="block w-full rounded-md border-0 px-2 py-1 text-sm ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-indigo-600"
            />
            <input
              aria-label={`Step ${index + 1} detail`}
              value={step.detail}
              onChange={(event) => set(index, { detail: event.target.value })}
              className="block w-full rounded-md border-0 px-2 py-1 text-xs text-slate-600 ring-1 ring-slate-200 ring-inset focus:ring-2 focus:ring-indigo-600"
            />
          </div>
          <Button
            size="sm"
            variant="ghost"
            aria-label={`Remove step ${index + 1}`}
            disabled={steps.length <= 1}
            onClick={() => onChange(steps.filter((_, i) => i !== index))}
          >
            Remove
          </Button>
        </li>
      ))}
      <li>
        <Button
          size="sm"
          variant="secondary"
          onClick={() => onChange([...steps, { title: 'New step', detail: '' }])}
        >
          Add a step
        </Button>
      </li>
    </ol>
  );
}

function Checklist({ steps, done }: { steps: Step[]; done: ReadonlySet<number> }) {
  return (
    <ol aria-label="Plan steps" className="space-y-1">
      {steps.map((step, index) => (
        <li key={index} className="flex items-start gap-2 text-sm">
          <input
            type="checkbox"
            readOnly
            checked={done.has(index)}
            aria-label={`${step.title}${done.has(index) ? ' (done)' : ''}`}
            className="mt-0.5 h-4 w-4 rounded border-slate-300 text-emerald-600"
          />
          <span className={done.has(index) ? 'text-slate-500 line-through' : 'text-slate-900'}>
            <span className="font-medium">{step.title}</span>
            {step.detail && <span className="text-slate-600"> — {step.detail}</span>}
          </span>
        </li>
      ))}
    </ol>
  );
}

const REJECT_PLAN: RejectWords = {
  title: 'Reject the plan?',
  form: 'Reject the plan',
  field: 'Note',
  name: 'note',
  hint: 'No coding run starts and the task is cancelled; a retry plans again with your note.',
};

export function PlanCard({
  taskId,
  live,
  status,
}: {
  taskId: string;
  live: LivePlan;
  status: TaskStatus;
}) {
  const decide = usePlanDecision(taskId);
  const [editing, setEditing] = useState<Step[] | null>(null);
  const [rejecting, setRejecting] = useState(false);
  const waiting = status === 'plan_review' && live.approvedBy === null && live.rejected === null;
  const { plan } = live;
  const approve = () =>
    decide.mutate(
      editing ? { approve: true, plan: { ...plan, steps: editing } } : { approve: true },
      { onSuccess: () => setEditing(null) },
    );

  return (
    <section
      aria-label="Plan"
      className="max-h-[45vh] overflow-auto border-b border-violet-200 bg-violet-50/60 px-4 py-3"
    >
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div>
          <h2 className="text-sm font-semibold text-violet-950">
            Plan{' '}
            <span className="font-normal text-violet-800">
              {waiting
                ? '· waiting for your approval'
                : live.rejected
                  ? `· rejected by ${live.rejected.by}`
                  : live.approvedBy === 'auto'
                    ? '· approved automatically'
                    : live.approvedBy
                      ? `· approved by ${live.approvedBy}${live.edited ? ', edited' : ''}`
                      : ''}
            </span>
          </h2>
          <p className="mt-1 text-sm text-slate-800">{plan.goal}</p>
          {live.rejected && (
            <p className="mt-1 rounded bg-amber-50 px-2 py-1 text-xs text-amber-900">
              <span className="font-medium">Rejected:</span> {live.rejected.note} — Retry plans
              again with this note.
            </p>
          )}
        </div>
        {waiting && (
          <div className="flex gap-2">
            <Button
              size="sm"
              pending={decide.isPending && decide.variables?.approve === true}
              pendingText="Approving…"
              disabled={decide.isPending}
              onClick={approve}
            >
              {editing ? 'Approve as edited' : 'Approve'}
            </Button>
            {editing ? (
              <Button size="sm" variant="secondary" onClick={() => setEditing(null)}>
                Discard edits
              </Button>
            ) : (
              <Button size="sm" variant="secondary" onClick={() => setEditing(plan.steps)}>
                Edit
              </Button>
            )}
            <Button
              size="sm"
              variant="secondary"
              disabled={decide.isPending}
              onClick={() => {
                decide.reset();
                setRejecting(true);
              }}
            >
              Reject
            </Button>
          </div>
        )}
      </div>
      {decide.error && !rejecting && (
        <div className="mt-2">
          <ErrorMessage error={decide.error} />
        </div>
      )}
      <div className="mt-2 grid gap-3 md:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
        <div>
          <h3 className="mb-1 text-xs font-medium tracking-wide text-slate-500 uppercase">Steps</h3>
          {editing ? (
            <StepEditor steps={editing} onChange={setEditing} />
          ) : (
            <Checklist steps={plan.steps} done={live.done} />
          )}
        </div>
        <dl className="space-y-2 text-sm">
          {plan.files.length > 0 && (
            <div>
              <dt className="text-xs font-medium tracking-wide text-slate-500 uppercase">Files</dt>
              <dd>
                <ul>
                  {plan.files.map((file) => (
                    <li key={file.path}>
                      <span className="font-mono text-xs">{file.path}</span>
                      {file.why && <span className="text-slate-600"> — {file.why}</span>}
                    </li>
                  ))}
                </ul>
              </dd>
            </div>
          )}
          {plan.testing && (
            <div>
              <dt className="text-xs font-medium tracking-wide text-slate-500 uppercase">
                Testing
              </dt>
              <dd className="text-slate-800">{plan.testing}</dd>
            </div>
          )}
          {plan.risks && (
            <div>
              <dt className="text-xs font-medium tracking-wide text-slate-500 uppercase">Risks</dt>
              <dd className="text-slate-800">{plan.risks}</dd>
            </div>
          )}
        </dl>
      </div>
      <RejectDialog
        words={REJECT_PLAN}
        open={rejecting}
        pending={decide.isPending}
        error={rejecting ? decide.error : null}
        onClose={() => setRejecting(false)}
        onReject={(note) =>
          decide.mutate({ approve: false, note }, { onSuccess: () => setRejecting(false) })
        }
      />
    </section>
  );
}
