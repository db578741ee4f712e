/**
 * @module features/tasks/components/timeline
 * The task's pipeline as one horizontal timeline: source, plan, coding, tests, safety, pull
 * request, preview, approval, production; each stage with its status, how long it took, what its
 * models cost, and when it failed why, with the Retry the server offers for it. Asked again each
 * time the task's stream brings an event that moves a stage.
 */
import {
  TIMELINE_EVENT_TYPES,
  type TaskEvent,
  type TimelineStage,
  type TimelineStageStatus,
} from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { formatCost, formatDuration, timeOfDay } from '../../../lib/format.ts';
import { useTaskTimeline, useTimelineRetry } from '../../../lib/queries/tasks.ts';

/** The event types after which a stage may have moved. */
const MOVES = new Set<string>([...TIMELINE_EVENT_TYPES, 'run.status', 'usage']);

/** The sequence number of the last event that may have moved a stage (0 before any). */
export function timelineVersion(events: readonly TaskEvent[]): number {
  return events.findLast((e) => MOVES.has(e.type))?.seq ?? 0;
}

const tones: Record<TimelineStageStatus, string> = {
  pending: 'border-slate-200 bg-white text-slate-500',
  running: 'border-sky-300 bg-sky-50 text-sky-900',
  waiting: 'border-violet-300 bg-violet-50 text-violet-900',
  succeeded: 'border-emerald-300 bg-emerald-50 text-emerald-900',
  failed: 'border-red-300 bg-red-50 text-red-900',
  skipped: 'border-dashed border-slate-200 bg-slate-50 text-slate-400',
};

const marks: Record<TimelineStageStatus, string> = {
  pending: '○',
  running: '◐',
  waiting: '◑',
  succeeded: '✓',
  failed: '✕',
  skipped: '–',
};

function Stage({ stage, taskId }: { stage: TimelineStage; taskId: string }) {
  const retry = useTimelineRetry(taskId);
  const figures = [
    stage.durationMs !== null
      ? formatDuration(stage.durationMs)
      : stage.status === 'running' && stage.startedAt
        ? `since ${timeOfDay(stage.startedAt)}`
        : null,
    stage.costUsd !== null ? formatCost(stage.costUsd) : null,
  ].filter((f) => f !== null);
  return (
    <li
      aria-label={`${stage.label}: ${stage.status}`}
      data-stage={stage.stage}
      data-status={stage.status}
      className={`flex min-w-32 flex-1 basis-0 flex-col gap-0.5 rounded-md border px-2.5 py-1.5 text-xs ${tones[stage.status]}`}
    >
      <div className="flex items-center justify-between gap-1">
        <span className="font-semibold">{stage.label}</span>
        <span aria-hidden="true" className={stage.status === 'running' ? 'animate-pulse' : ''}>
          {marks[stage.status]}
        </span>
      </div>
      <span>{stage.status}</span>
      {figures.length > 0 && <span className="tabular-nums">{figures.join(' · ')}</span>}
      {stage.detail &&
        (stage.url ? (
          <a
            href={stage.url}
            target="_blank"
            rel="noreferrer"
            className="truncate underline"
            title={stage.detail}
          >
            {stage.detail}
          </a>
        ) : (
          <span className="truncate" title={stage.detail}>
            {stage.detail}
          </span>
        ))}
      {stage.reason && (
        <p className="line-clamp-3 text-red-800" title={stage.reason}>
          {stage.reason}
        </p>
      )}
      {stage.retry && (
        <div className="mt-1">
          <Button
            size="sm"
            variant="secondary"
            pending={retry.isPending}
            pendingText="Retrying…"
            onClick={() => stage.retry && retry.mutate(stage.retry)}
          >
            {stage.retry.label}
          </Button>
        </div>
      )}
      {retry.error && <ErrorMessage error={retry.error} />}
    </li>
  );
}

/** The task's timeline, refetched when `version` changes (see {@link timelineVersion}). */
export function Timeline({ taskId, version }: { taskId: string; version: number }) {
  const timeline = useTaskTimeline(taskId, version);
  if (timeline.error) {
    return (
      <div className="border-b border-slate-200 bg-white px-4 py-2">
        <ErrorMessage title="Could not read the timeline" error={timeline.error} />
      </div>
    );
  }
  if (!timeline.data) return null;
  return (
    <section aria-label="Timeline" className="border-b border-slate-200 bg-white px-4 py-2">
      <ol className="flex gap-2 overflow-x-auto pb-1">
        {timeline.data.stages.map((stage) => (
          <Stage key={stage.stage} stage={stage} taskId={taskId} />
        ))}
      </ol>
    </section>
  );
}
