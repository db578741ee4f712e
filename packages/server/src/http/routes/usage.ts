/**
 * @module http/routes/usage
 * A workspace's usage report, as JSON or CSV.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { UsageQuery, UsageReport } from '@lucid/contracts';
import { usageCsv, usageReport } from '../../usage/report.ts';
import { principalOf } from '../authenticate.ts';
import type { AppDeps } from '../context.ts';

export const usageRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.database;

    app.get(
      '/usage',
      {
        schema: {
          tags: ['usage'],
          summary:
            'Tokens, cost and runs of a workspace over a date range, grouped by day, user, model or task (members and above; CSV with `format=csv` or `Accept: text/csv`)',
          querystring: UsageQuery,
          response: { 200: z.union([UsageReport, z.string().describe('The report as CSV.')]) },
        },
      },
      async (request, reply) => {
        const { format, ...query } = request.query;
        const report = await usageReport(db, { ...query, userId: principalOf(request).userId });
        const csv =
          format === 'csv' ||
          (format === undefined && /\btext\/csv\b/.test(request.headers.accept ?? ''));
        if (!csv) return report;
        const filename = `lucid-usage-${report.from.slice(0, 10)}-to-${lastDay(report.to)}-by-${report.groupBy}.csv`;
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${filename}"`)
          .send(usageCsv(report));
      },
    );
  };

function lastDay(end: string): string {
  return new Date(new Date(end).getTime() - 1).toISOString().slice(0, 10);
}
