/**
 * @module features/audit/api/audit
 * A page of the audit trail (`GET /api/v1/audit`), filtered.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { AuditList } from '@lucid/contracts';
import { api } from '../../../lib/api.ts';
import { queryString } from '../../../lib/date-range.ts';

export interface AuditFilters {
  workspaceId?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

export const AUDIT_PAGE_SIZE = 25;

export function useAudit(filters: AuditFilters, cursor: string | undefined) {
  return useQuery({
    queryKey: ['audit', filters, cursor],
    queryFn: ({ signal }) =>
      api<AuditList>(
        `/api/v1/audit?${queryString({ ...filters, cursor, limit: String(AUDIT_PAGE_SIZE) })}`,
        { signal },
      ),
    placeholderData: keepPreviousData,
  });
}
