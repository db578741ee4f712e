/**
 * @module features/auth/components/require-auth
 * Renders its children for a signed-in user and sends everyone else to the sign-in page,
 * remembering where they were going.
 */
import type { ReactNode } from 'react';
import { Redirect, useLocation } from 'wouter';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { useSession, type SessionUser } from '../api/get-session.ts';

export function RequireAuth({ children }: { children: (user: SessionUser) => ReactNode }) {
  const session = useSession();
  const [location] = useLocation();

  if (session.isPending) {
    return (
      <div className="mx-auto max-w-5xl px-6">
        <Loading />
      </div>
    );
  }
  if (session.data) return <>{children(session.data.user)}</>;
  if (session.error) {
    return (
      <div className="mx-auto max-w-md px-6 py-16">
        <ErrorMessage
          title="Could not reach Lucid"
          error={session.error}
          onRetry={() => void session.refetch()}
        />
      </div>
    );
  }
  const next =
    location === '/' || location === '/tasks' || location === '/repos'
      ? ''
      : `?next=${encodeURIComponent(location)}`;
  return <Redirect to={`/sign-in${next}`} replace />;
}
