/**
 * @module components/ui/attempts-fields
 * How many times a new task runs at once (best-of-N: 2 to 5 attempts, each on its own branch) and,
 * with several, who keeps one: the user, or Lucid keeping the top-ranked one. The new-task page
 * and the board's new card both use it.
 */
import type { KeepMode } from '@lucid/contracts';
import { selectClass } from './agent-model-fields.tsx';

export function AttemptsFields({
  attempts,
  keep,
  onAttempts,
  onKeep,
}: {
  attempts: number;
  keep: KeepMode;
  onAttempts: (attempts: number) => void;
  onKeep: (keep: KeepMode) => void;
}) {
  return (
    <div className="grid gap-5 sm:grid-cols-2">
      <label className="block text-sm font-medium text-slate-700">
        Attempts
        <select
          className={selectClass}
          name="attempts"
          value={attempts}
          onChange={(event) => onAttempts(Number(event.target.value))}
        >
          <option value={1}>One attempt</option>
          {[2, 3, 4, 5].map((n) => (
            <option key={n} value={n}>
              Best of {n}: {n} attempts side by side
            </option>
          ))}
        </select>
      </label>
      {attempts > 1 && (
        <label className="block text-sm font-medium text-slate-700">
          Keep
          <select
            className={selectClass}
            name="keep"
            value={keep}
            onChange={(event) => onKeep(event.target.value as KeepMode)}
          >
            <option value="choose">The one I choose</option>
            <option value="auto">The top-ranked one, by itself</option>
          </select>
        </label>
      )}
    </div>
  );
}
