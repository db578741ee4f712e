/**
 * @module features/usage/components/pipeline-panel
 * The pipeline's success metrics for the tasks created in the range, as Lucid measured them: time
 * from a task's start to its preview (median and 90th percentile), the share of finished tasks
 * whose tests passed, dollars per task, pushes the secret scan blocked, and production deployments
 * with no approval recorded (anything but 0 is shown as an alarm).
 */
import type { PipelineMetrics } from '@lucid/contracts';
import { Card } from '../../../components/ui/card.tsx';
import { formatCost, formatDuration } from '../../../lib/format.ts';

const NONE = '—';

export function PipelinePanel({ pipeline }: { pipeline: PipelineMetrics }) {
  const unauthorized = pipeline.unauthorizedDeployments;
  const figures: Array<{ label: string; value: string; note: string; alarm?: boolean }> = [
    {
      label: 'Start to preview',
      value:
        pipeline.previewReadyMedianMs === null
          ? NONE
          : formatDuration(pipeline.previewReadyMedianMs),
      note:
        pipeline.previewReadyP90Ms === null
          ? 'No preview was ready'
          : `median of ${pipeline.previewsReady}; p90 ${formatDuration(pipeline.previewReadyP90Ms)}`,
    },
    {
      label: 'Tests passed',
      value:
        pipeline.testsPassShare === null ? NONE : `${Math.round(pipeline.testsPassShare * 100)}%`,
      note:
        pipeline.testedTasks === 0
          ? `No finished task ran checks (${pipeline.finishedTasks} finished)`
          : `${pipeline.testsPassed} of ${pipeline.testedTasks} finished tasks with checks`,
    },
    {
      label: 'Per task',
      value: pipeline.costPerTaskUsd === null ? NONE : formatCost(pipeline.costPerTaskUsd),
      note: `${pipeline.tasks} ${pipeline.tasks === 1 ? 'task' : 'tasks'} created`,
    },
    {
      label: 'Secrets blocked',
      value: String(pipeline.secretsBlocked),
      note: 'Pushes the secret scan stopped',
    },
    {
      label: 'Unauthorized deployments',
      value: String(unauthorized),
      note:
        unauthorized === 0
          ? 'Every production deployment was approved'
          : 'Production deployments with no recorded approval',
      alarm: unauthorized > 0,
    },
  ];
  return (
    <Card
      label="Pipeline"
      title="Pipeline"
      description="For the tasks created in the range, as Lucid recorded them."
    >
      <dl className="grid grid-cols-2 gap-4 sm:grid-cols-5">
        {figures.map((f) => (
          <div
            key={f.label}
            className={`rounded-lg border p-3 ${f.alarm ? 'border-red-300 bg-red-50' : 'border-slate-200 bg-white'}`}
          >
            <dt className="text-sm text-slate-600">{f.label}</dt>
            <dd
              className={`mt-1 text-xl font-semibold ${f.alarm ? 'text-red-800' : 'text-slate-900'}`}
            >
              {f.value}
            </dd>
            <dd className="mt-0.5 text-xs text-slate-500">{f.note}</dd>
          </div>
        ))}
      </dl>
    </Card>
  );
}
