/**
 * @module features/usage/components/usage-chart
 * Cost per day as bars and tokens per day as lines, drawn as SVG (no style elements, so the
 * page's content security policy holds).
 */
import {
  Bar,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { UsageGroup } from '@lucid/contracts';
import { formatCost, formatTokens } from '../../../lib/format.ts';

export function UsageChart({ days }: { days: UsageGroup[] }) {
  const data = days.map((day) => ({
    day: day.key.slice(5),
    cost: day.costUsd,
    input: day.inputTokens,
    output: day.outputTokens,
  }));
  return (
    <figure aria-label="Cost and tokens per day" data-testid="usage-chart" className="h-72 w-full">
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="#e2e8f0" vertical={false} />
          <XAxis dataKey="day" tick={{ fontSize: 12 }} stroke="#64748b" />
          <YAxis
            yAxisId="cost"
            tickFormatter={(v: number) => formatCost(v)}
            tick={{ fontSize: 12 }}
            stroke="#64748b"
            width={64}
          />
          <YAxis
            yAxisId="tokens"
            orientation="right"
            tickFormatter={(v: number) => formatTokens(v)}
            tick={{ fontSize: 12 }}
            stroke="#64748b"
            width={56}
          />
          <Tooltip
            formatter={(value, name) =>
              name === 'Cost' ? formatCost(Number(value)) : formatTokens(Number(value))
            }
          />
          <Legend />
          <Bar yAxisId="cost" dataKey="cost" name="Cost" fill="#6366f1" isAnimationActive={false} />
          <Line
            yAxisId="tokens"
            dataKey="input"
            name="Input tokens"
            stroke="#0ea5e9"
            dot={{ r: 2 }}
            isAnimationActive={false}
          />
          <Line
            yAxisId="tokens"
            dataKey="output"
            name="Output tokens"
            stroke="#f59e0b"
            dot={{ r: 2 }}
            isAnimationActive={false}
          />
        </ComposedChart>
      </ResponsiveContainer>
    </figure>
  );
}
