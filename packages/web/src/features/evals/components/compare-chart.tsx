/**
 * @module features/evals/components/compare-chart
 * One small bar chart per figure (success rate, median time, $/task, $/success), a bar per eval
 * compared, labelled with its agent and model: hand-drawn SVG, so the page's content security
 * policy holds and no chart library is needed.
 */
import type { Eval } from '@lucid/contracts';

const COLORS = ['#6366f1', '#0ea5e9', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6'];
const BAR = 18;
const GAP = 8;
const LABEL = 210;
const WIDTH = 420;

export interface Figure {
  title: string;
  value: (run: Eval) => number | null;
  format: (value: number | null) => string;
}

/** A label for an eval in a comparison: its agent and model. */
export function evalLabel(run: Eval): string {
  return `${run.agent} · ${run.model}`;
}

export function CompareChart({ figure, evals }: { figure: Figure; evals: Eval[] }) {
  const values = evals.map((run) => figure.value(run));
  const largest = Math.max(0, ...values.map((value) => value ?? 0));
  const height = evals.length * (BAR + GAP);
  return (
    <figure className="rounded-md bg-white p-3 ring-1 ring-slate-200">
      <figcaption className="mb-2 text-sm font-medium text-slate-700">{figure.title}</figcaption>
      <svg
        role="img"
        aria-label={`${figure.title}: ${evals
          .map((run, index) => `${evalLabel(run)} ${figure.format(values[index] ?? null)}`)
          .join(', ')}`}
        viewBox={`0 0 ${WIDTH} ${height}`}
        width="100%"
        height={height}
      >
        {evals.map((run, index) => {
          const value = values[index] ?? null;
          const length =
            value === null || largest === 0 ? 0 : ((WIDTH - LABEL - 70) * value) / largest;
          const y = index * (BAR + GAP);
          return (
            <g key={run.id}>
              <text x={0} y={y + BAR - 5} fontSize={12} fill="#334155">
                {evalLabel(run).slice(0, 34)}
              </text>
              <rect
                x={LABEL}
                y={y}
                width={Math.max(length, value === null ? 0 : 1)}
                height={BAR}
                rx={3}
                fill={COLORS[index % COLORS.length]}
              />
              <text x={LABEL + length + 6} y={y + BAR - 5} fontSize={12} fill="#0f172a">
                {figure.format(value)}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
