/**
 * @module app/pages/join-page
 * The page of a workspace invitation link (`/join/<token>`). Signed in, it accepts and opens the
 * workspace; otherwise it leads to sign-in (and back here) or to sign-up with the invitation, which
 * joins the workspace as the account is made.
 */
import { useEffect } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { buttonClass } from '../../components/ui/button.tsx';
import { ErrorMessage } from '../../components/ui/error-message.tsx';
import { Loading } from '../../components/ui/loading.tsx';
import { setActiveWorkspace } from '../../lib/active-workspace.ts';
import { useTitle } from '../../lib/use-title.ts';
import { useSession } from '../../features/auth/api/get-session.ts';
import { useAcceptInvitation } from '../../features/workspaces/api/workspaces.ts';

export function JoinPage({ token }: { token: string }) {
  useTitle('Join a workspace');
  const session = useSession();
  const accept = useAcceptInvitation();
  const [, navigate] = useLocation();
  const signedUp = new URLSearchParams(useSearch()).has('signed-up');
  const signedIn = Boolean(session.data);
  const { mutate } = accept;

  useEffect(() => {
    if (!signedIn || signedUp) return;
    mutate(token, {
      onSuccess: ({ workspace }) => {
        setActiveWorkspace(workspace.id);
        navigate('/tasks', { replace: true });
      },
    });
  }, [signedIn, signedUp, token, mutate, navigate]);

  const here = `/join/${encodeURIComponent(token)}`;
  let body;
  if (session.isPending) body = <Loading />;
  else if (!signedIn) {
    body = (
      <>
        <p className="text-sm text-slate-600">
          You were invited to a workspace on Lucid. Sign in with the invited address, or create your
          account with it.
        </p>
        <div className="mt-6 flex justify-center gap-3">
          <Link
            href={`/sign-up?invitation=${encodeURIComponent(token)}&next=${encodeURIComponent(`${here}?signed-up=1`)}`}
            className={buttonClass('primary')}
          >
            Create an account
          </Link>
          <Link
            href={`/sign-in?next=${encodeURIComponent(here)}`}
            className={buttonClass('secondary')}
          >
            Sign in
          </Link>
        </div>
      </>
    );
  } else if (signedUp) {
    body = (
      <>
        <p className="text-sm text-slate-600">
          Your account is made and you have joined the workspace: choose it in the workspace
          switcher at the top.
        </p>
        <Link href="/tasks" className={buttonClass('primary', 'md', 'mt-6')}>
          Go to tasks
        </Link>
      </>
    );
  } else if (accept.error) {
    body = (
      <>
        <ErrorMessage title="Could not join the workspace" error={accept.error} />
        <Link href="/tasks" className={buttonClass('secondary', 'md', 'mt-6')}>
          Go to tasks
        </Link>
      </>
    );
  } else body = <Loading label="Joining the workspace…" />;

  return (
    <div className="flex min-h-screen flex-col items-center justify-center px-4 py-12">
      <div className="w-full max-w-md text-center">
        <h1 className="mb-4 text-2xl font-semibold tracking-tight text-slate-900">
          Join a workspace
        </h1>
        {body}
      </div>
    </div>
  );
}
