/**
 * @module features/tasks/components/safety-panel
 * The task's Safety panel: every check of the last push Lucid tried (the secret scan, the
 * protected paths, the most files changed) with its result; a blocked scan lists each finding's
 * file, line and masked secret, with “Allow once” to let them through as false positives. The
 * banner above the task's views says when its push is blocked.
 */
import type { SafetyCheck, SafetyCheckName, TaskEvent } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { useAllowFindings } from '../../../lib/queries/tasks.ts';

const NAMES: Record<SafetyCheckName, string> = {
  secrets: 'Secret scan',
  protected_paths: 'Protected paths',
  max_files: 'Files changed',
};

type CheckEvent = Extract<TaskEvent, { type: 'safety.check' }>;

/** The checks of the last push Lucid tried, one per check, oldest first; none before any. */
export function lastSafetyChecks(events: TaskEvent[]): CheckEvent[] {
  const checks = events.filter((e): e is CheckEvent => e.type === 'safety.check');
  const lastScan = checks.findLastIndex((c) => c.check === 'secrets');
  return lastScan < 0 ? [] : checks.slice(lastScan);
}

/** Says the task's last push was blocked, and why, pointing to the Safety panel. */
export function PushBlockedBanner({
  checks,
  onShow,
}: {
  checks: SafetyCheck[];
  onShow: () => void;
}) {
  const blocked = checks.find((c) => c.result === 'blocked');
  if (!blocked) return null;
  return (
    <div
      role="alert"
      className="flex flex-wrap items-center gap-3 border-b border-red-200 bg-red-50 px-4 py-2 text-sm text-red-800"
    >
      <span>
        <strong>Push blocked:</strong> {blocked.summary} Nothing was pushed to the forge.
      </span>
      <Button variant="secondary" size="sm" onClick={onShow}>
        Show the checks
      </Button>
    </div>
  );
}

function Findings({ taskId, check }: { taskId: string; check: SafetyCheck }) {
  const allow = useAllowFindings(taskId);
  const findings = check.findings ?? [];
  const open = findings.filter((f) => !f.allowed).map((f) => f.fingerprint);
  if (findings.length === 0) return null;
  return (
    <div className="mt-2 space-y-2">
      <ul className="space-y-1 text-sm">
        {findings.map((f) => (
          <li key={`${f.fingerprint}:${f.line}`} className="flex flex-wrap items-baseline gap-x-2">
            <span className="font-mono text-slate-900">
              {f.file}:{f.line}
            </span>
            <span className="text-slate-600">{f.message}</span>
            <code className="rounded bg-slate-100 px-1 font-mono text-slate-700">{f.masked}</code>
            {f.allowed && <span className="text-xs text-emerald-700">allowed once</span>}
          </li>
        ))}
      </ul>
      {check.result === 'blocked' && open.length > 0 && (
        <div className="flex flex-wrap items-center gap-3">
          <Button
            variant="secondary"
            size="sm"
            pending={allow.isPending}
            pendingText="Allowing…"
            disabled={allow.isSuccess}
            onClick={() => allow.mutate(open)}
          >
            Allow once
          </Button>
          <span className="text-xs text-slate-500">
            {allow.isSuccess
              ? 'Allowed: Lucid pushes again.'
              : 'If these are not secrets, let them through on this task; Lucid pushes again.'}
          </span>
        </div>
      )}
      {allow.error && <ErrorMessage title="Could not allow the findings" error={allow.error} />}
    </div>
  );
}

export function SafetyPanel({ taskId, checks }: { taskId: string; checks: SafetyCheck[] }) {
  if (checks.length === 0) {
    return (
      <p className="p-6 text-sm text-slate-600">
        No checks yet: Lucid scans the work for secrets and checks the workspace's safety policy
        once a run pushes it, before anything leaves Lucid.
      </p>
    );
  }
  return (
    <ul aria-label="Safety checks" className="divide-y divide-slate-200">
      {checks.map((check) => (
        <li key={check.check} className="px-6 py-4">
          <div className="flex flex-wrap items-baseline gap-3">
            <span
              className={`rounded px-2 py-0.5 text-xs font-semibold ${
                check.result === 'blocked'
                  ? 'bg-red-100 text-red-800'
                  : 'bg-emerald-100 text-emerald-800'
              }`}
            >
              {check.result === 'blocked' ? 'Blocked' : 'Passed'}
            </span>
            <h3 className="text-sm font-medium text-slate-900">{NAMES[check.check]}</h3>
            <span className="font-mono text-xs text-slate-500">{check.head.slice(0, 10)}</span>
          </div>
          <p className="mt-1 text-sm text-slate-700">{check.summary}</p>
          {check.paths && check.paths.length > 0 && (
            <ul className="mt-1 font-mono text-sm text-slate-700">
              {check.paths.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
          {check.check === 'secrets' && <Findings taskId={taskId} check={check} />}
        </li>
      ))}
    </ul>
  );
}
