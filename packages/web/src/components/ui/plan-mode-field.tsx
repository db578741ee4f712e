/**
 * @module components/ui/plan-mode-field
 * Whether a new task plans before it codes: the workspace's default, review (a person approves
 * the plan first), auto (coding follows the plan at once) or no plan. The new-task page and the
 * board's new card both use it.
 */
import type { PlanMode } from '@lucid/contracts';

/** The choices, `''` being the workspace's default. */
export const PLAN_MODE_CHOICES: ReadonlyArray<{ value: PlanMode | ''; label: string }> = [
  { value: '', label: "The workspace's default" },
  { value: 'review', label: 'Plan, then wait for my approval' },
  { value: 'auto', label: 'Plan, then code at once' },
  { value: 'off', label: 'No plan: code at once' },
];

/** Describes a plan mode in a few words, for settings and hints. */
export function planModeLabel(mode: PlanMode): string {
  return PLAN_MODE_CHOICES.find((choice) => choice.value === mode)?.label ?? mode;
}

export function PlanModeField({
  value,
  onChange,
  withDefault = true,
}: {
  value: PlanMode | '';
  onChange: (value: PlanMode | '') => void;
  /** Offer the workspace's default (a new task); not where the default itself is chosen. */
  withDefault?: boolean;
}) {
  return (
    <label className="block text-sm font-medium text-slate-900">
      Plan first
      <select
        name="planMode"
        value={value}
        onChange={(event) => onChange(event.target.value as PlanMode | '')}
        className="mt-1.5 block w-full rounded-md border-0 px-3 py-2 text-sm ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-indigo-600"
      >
        {PLAN_MODE_CHOICES.filter((choice) => withDefault || choice.value !== '').map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.label}
          </option>
        ))}
      </select>
    </label>
  );
}
