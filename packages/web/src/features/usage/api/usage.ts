/**
 * @module features/usage/api/usage
 * A workspace's usage report (`GET /api/v1/usage`), and the address of its CSV.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { UsageGroupBy, UsageReport } from '@lucid/contracts';
import { api } from '../../../lib/api.ts';
import { queryString } from '../../../lib/date-range.ts';

export interface UsageParams {
  workspaceId?: string | undefined;
  from: string;
  to: string;
  groupBy: UsageGroupBy;
}

/** The report's address; with `csv`, the file to download. */
export function usageUrl(params: UsageParams, csv = false): string {
  return `/api/v1/usage?${queryString({ ...params, format: csv ? 'csv' : undefined })}`;
}

export function useUsage(params: UsageParams) {
  return useQuery({
    queryKey: ['usage', params],
    queryFn: ({ signal }) => api<UsageReport>(usageUrl(params), { signal }),
    placeholderData: keepPreviousData,
  });
}
