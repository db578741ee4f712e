/**
 * @module app/layout
 * The shell around every signed-in page: the header with the app name, the workspace switcher,
 * navigation, the user and sign-out; then the page.
 */
import type { ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { Button } from '../components/ui/button.tsx';
import type { SessionUser } from '../features/auth/api/get-session.ts';
import { useSignOut } from '../features/auth/api/sign-out.ts';
import { useMe } from '../lib/use-me.ts';
import { WorkspaceSwitcher } from '../features/workspaces/components/workspace-switcher.tsx';

const navLink = (active: boolean) =>
  `rounded-md px-2 py-2 text-sm font-medium whitespace-nowrap transition-colors ${
    active ? 'bg-slate-800 text-white' : 'text-slate-300 hover:bg-slate-800/60 hover:text-white'
  }`;

/** A repository's board, which the Board entry stands for rather than Repositories. */
const boardPath = /^\/repos\/[^/]+\/board(\/|$)/;

function NavItem({ href, children }: { href: string; children: ReactNode }) {
  const [location] = useLocation();
  const onBoard = boardPath.test(location);
  const active =
    href === '/board'
      ? onBoard || location === href
      : !(onBoard && href === '/repos') && (location === href || location.startsWith(`${href}/`));
  return (
    <Link href={href} className={navLink(active)} aria-current={active ? 'page' : undefined}>
      {children}
    </Link>
  );
}

export function AppLayout({ user, children }: { user: SessionUser; children: ReactNode }) {
  const signOut = useSignOut();
  const me = useMe();
  const [location, navigate] = useLocation();
  /** A task's page and a board spread their panes over the whole window. */
  const wide = /^\/tasks\/(?!new$)[^/]+$/.test(location) || boardPath.test(location);

  return (
    <div className="min-h-screen">
      <a
        href="#main"
        className="sr-only rounded-md bg-white px-3 py-2 text-sm focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-10"
      >
        Skip to content
      </a>
      <header className="bg-slate-900">
        <div
          className={`mx-auto flex min-h-14 items-center gap-4 px-6 py-2 ${wide ? 'max-w-none' : 'max-w-6xl'}`}
        >
          <Link href="/tasks" className="flex items-center gap-2 rounded-md text-white">
            <span
              aria-hidden="true"
              className="flex size-7 items-center justify-center rounded-lg bg-indigo-500 text-sm font-bold"
            >
              L
            </span>
            <span className="text-base font-semibold tracking-tight">Lucid</span>
          </Link>
          <WorkspaceSwitcher />
          <nav aria-label="Main" className="flex min-w-0 flex-wrap items-center gap-0.5">
            <NavItem href="/tasks">Tasks</NavItem>
            <NavItem href="/board">Board</NavItem>
            <NavItem href="/repos">Repositories</NavItem>
            <NavItem href="/settings/providers">Model providers</NavItem>
            <NavItem href="/settings/integrations">Integrations</NavItem>
            <NavItem href="/settings/tokens">API tokens</NavItem>
            <NavItem href="/settings/runners">Runners</NavItem>
            <NavItem href="/usage">Usage</NavItem>
            <NavItem href="/evals">Evals</NavItem>
            <NavItem href="/audit">Audit</NavItem>
            <NavItem href="/settings/quotas">Quotas</NavItem>
            <NavItem href="/settings/safety">Safety</NavItem>
            {me.data?.instanceAdmin && <NavItem href="/settings/invitations">Invitations</NavItem>}
            <a href="/api/docs" className={navLink(false)}>
              API docs
            </a>
          </nav>
          <div className="ml-auto flex items-center gap-4">
            <div className="min-w-0 text-right leading-tight">
              <p className="text-sm font-medium text-white">{user.name}</p>
              <p className="max-w-48 truncate text-xs text-slate-400">{user.email}</p>
            </div>
            <Button
              variant="secondary"
              size="sm"
              pending={signOut.isPending}
              pendingText="Signing out…"
              onClick={() =>
                signOut.mutate(undefined, {
                  onSuccess: () => navigate('/sign-in', { replace: true }),
                })
              }
            >
              Sign out
            </Button>
          </div>
        </div>
        {signOut.error && (
          <p role="alert" className="bg-red-600 px-6 py-2 text-center text-sm text-white">
            Could not sign out: {signOut.error.message}
          </p>
        )}
      </header>
      <main id="main" className={wide ? '' : 'mx-auto max-w-6xl px-6 py-8'}>
        {children}
      </main>
    </div>
  );
}
