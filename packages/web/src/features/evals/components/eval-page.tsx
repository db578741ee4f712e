/**
 * @module features/evals/components/eval-page
 * One eval: its figures, and each case attempt with its outcome, time, model calls, tokens,
 * dollars, the check's output when it failed, its diff, and links to its task and its trajectory
 * (the agent run's export). Cancel stops an eval under way.
 */
import { Link } from 'wouter';
import type { EvalResult } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { Card } from '../../../components/ui/card.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { PageHeader } from '../../../components/ui/page-header.tsx';
import { useTitle } from '../../../lib/use-title.ts';
import { useCancelEval, useEval } from '../api/evals.ts';
import { dollars, percent, seconds } from './figures.ts';

const resultTones: Record<EvalResult['status'], string> = {
  pending: 'bg-slate-100 text-slate-600',
  running: 'bg-sky-50 text-sky-800',
  checking: 'bg-sky-50 text-sky-800',
  passed: 'bg-emerald-50 text-emerald-800',
  failed: 'bg-red-50 text-red-800',
  cancelled: 'bg-slate-100 text-slate-600',
};

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="rounded-md bg-white px-4 py-3 ring-1 ring-slate-200">
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="text-xl font-semibold text-slate-900">{value}</dd>
    </div>
  );
}

function Result({ result }: { result: EvalResult }) {
  const tokens =
    result.inputTokens === null ? '–' : String(result.inputTokens + (result.outputTokens ?? 0));
  return (
    <Card
      label={`${result.caseId} attempt ${result.attempt}`}
      title={
        <span className="flex items-center gap-2">
          {result.caseId} <span className="text-slate-500">#{result.attempt}</span>
          <span
            className={`rounded-full px-2 py-0.5 text-xs font-medium ${resultTones[result.status]}`}
          >
            {result.status}
          </span>
        </span>
      }
      description={`${seconds(result.durationMs)} · ${result.steps ?? '–'} model calls · ${tokens} tokens · ${dollars(result.costUsd)}${
        result.diff
          ? ` · ${result.diff.filesChanged} file${result.diff.filesChanged === 1 ? '' : 's'} +${result.diff.insertions} −${result.diff.deletions}`
          : ''
      }`}
      actions={
        <span className="flex gap-3 text-sm">
          {result.taskId && (
            <Link href={`/tasks/${result.taskId}`} className="text-indigo-700 hover:underline">
              Task
            </Link>
          )}
          {result.trajectoryUrl && (
            <a href={result.trajectoryUrl} download className="text-indigo-700 hover:underline">
              Trajectory
            </a>
          )}
        </span>
      }
    >
      {(result.output || result.diff) && (
        <div className="space-y-3 px-5 py-4">
          {result.output && result.status !== 'passed' && (
            <details open={result.status === 'failed'}>
              <summary className="cursor-pointer text-sm font-medium text-slate-700">
                Check output
              </summary>
              <pre className="mt-2 max-h-64 overflow-auto rounded-md bg-slate-900 p-3 font-mono text-xs text-slate-100">
                {result.output}
              </pre>
            </details>
          )}
          {result.diff && (
            <details>
              <summary className="cursor-pointer text-sm font-medium text-slate-700">Diff</summary>
              <pre
                aria-label={`Diff of ${result.caseId} attempt ${result.attempt}`}
                className="mt-2 max-h-96 overflow-auto rounded-md bg-slate-50 p-3 font-mono text-xs text-slate-800 ring-1 ring-slate-200"
              >
                {result.diff.patch.split('\n').map((line, index) => (
                  <span
                    key={index}
                    className={
                      line.startsWith('+') && !line.startsWith('+++')
                        ? 'block bg-emerald-50 text-emerald-900'
                        : line.startsWith('-') && !line.startsWith('---')
                          ? 'block bg-red-50 text-red-900'
                          : 'block'
                    }
                  >
                    {line || ' '}
                  </span>
                ))}
              </pre>
            </details>
          )}
        </div>
      )}
    </Card>
  );
}

export function EvalPage({ id }: { id: string }) {
  const run = useEval(id);
  const cancel = useCancelEval(id);
  useTitle(run.data ? `Eval ${run.data.suite}` : 'Eval');
  if (run.isPending) return <Loading label="Loading the eval…" />;
  if (run.isError) return <ErrorMessage error={run.error} onRetry={() => run.refetch()} />;
  const { summary } = run.data;
  return (
    <>
      <PageHeader
        title={`${run.data.suite}: ${run.data.agent} · ${run.data.model}`}
        description={`${run.data.status} · ${summary.attempts} attempts, ${run.data.concurrency} at once`}
        actions={
          <>
            <Link href="/evals" className="self-center text-sm text-indigo-700 hover:underline">
              All evals
            </Link>
            {run.data.status === 'running' && (
              <Button variant="danger" pending={cancel.isPending} onClick={() => cancel.mutate()}>
                Cancel
              </Button>
            )}
          </>
        }
      />
      {cancel.isError && <ErrorMessage error={cancel.error} />}
      <dl className="mb-6 grid grid-cols-2 gap-3 md:grid-cols-4" aria-label="Figures">
        <Stat
          label="Success rate"
          value={`${percent(summary.successRate)} (${summary.passed}/${summary.finished})`}
        />
        <Stat label="Median time" value={seconds(summary.medianMs)} />
        <Stat label="$ per task" value={dollars(summary.usdPerTask)} />
        <Stat label="$ per success" value={dollars(summary.usdPerSuccess)} />
      </dl>
      <div className="space-y-3">
        {run.data.results.map((result) => (
          <Result key={result.id} result={result} />
        ))}
      </div>
    </>
  );
}
