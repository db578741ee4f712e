/**
 * @module features/auth/api/get-session
 * Who is signed in, from better-auth's session endpoint (which answers `null` when nobody is).
 */
import { useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api.ts';

export interface SessionUser {
  id: string;
  name: string;
  email: string;
  image?: string | null;
}

export interface Session {
  user: SessionUser;
  session: { id: string; expiresAt: string };
}

export const sessionQueryKey = ['session'] as const;

export function getSession(): Promise<Session | null> {
  return api<Session | null>('/api/auth/get-session').then((session) => session ?? null);
}

export function useSession() {
  return useQuery({ queryKey: sessionQueryKey, queryFn: getSession, staleTime: 60_000 });
}
