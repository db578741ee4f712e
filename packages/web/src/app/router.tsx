/**
 * @module app/router
 * Every page and its path. The sign-in pages are public; everything else needs a session and sits
 * inside the app's layout.
 */
import { Link, Redirect, Route, Switch } from 'wouter';
import { AuthPage } from '../features/auth/components/auth-page.tsx';
import { RequireAuth } from '../features/auth/components/require-auth.tsx';
import { ReposPage } from '../features/repos/components/repos-page.tsx';
import { RepoDetailPage } from '../features/repos/components/repo-detail-page.tsx';
import { TokensPage } from '../features/tokens/components/tokens-page.tsx';
import { EmptyState } from '../components/ui/empty-state.tsx';
import { buttonClass } from '../components/ui/button.tsx';
import { useTitle } from '../lib/use-title.ts';
import { AppLayout } from './layout.tsx';

function NotFoundPage() {
  useTitle('Not found');
  return (
    <EmptyState
      title="There is no page here"
      action={
        <Link href="/repos" className={buttonClass('secondary')}>
          Go to repositories
        </Link>
      }
    >
      The address may be mistyped, or what it pointed to was deleted.
    </EmptyState>
  );
}

export function AppRouter() {
  return (
    <Switch>
      <Route path="/sign-in">
        <AuthPage mode="sign-in" />
      </Route>
      <Route path="/sign-up">
        <AuthPage mode="sign-up" />
      </Route>
      <Route>
        <RequireAuth>
          {(user) => (
            <AppLayout user={user}>
              <Switch>
                <Route path="/">
                  <Redirect to="/repos" replace />
                </Route>
                <Route path="/repos" component={ReposPage} />
                <Route path="/repos/:id">{({ id }) => <RepoDetailPage key={id} id={id} />}</Route>
                <Route path="/settings/tokens" component={TokensPage} />
                <Route component={NotFoundPage} />
              </Switch>
            </AppLayout>
          )}
        </RequireAuth>
      </Route>
    </Switch>
  );
}
