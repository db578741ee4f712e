/**
 * @module app/router
 * Every page and its path. The sign-in pages are public; everything else needs a session and sits
 * inside the app's layout.
 */
import { lazy, Suspense } from 'react';
import { Link, Redirect, Route, Switch } from 'wouter';
import { AuthPage } from '../features/auth/components/auth-page.tsx';
import { RequireAuth } from '../features/auth/components/require-auth.tsx';
import { ReposPage } from './pages/repos-page.tsx';
import { RepoDetailPage } from '../features/repos/components/repo-detail-page.tsx';
import { TokensPage } from '../features/tokens/components/tokens-page.tsx';
import { TasksPage } from '../features/tasks/components/tasks-page.tsx';
import { NewTaskPage } from './pages/new-task-page.tsx';
import { ProvidersPage } from '../features/providers/components/providers-page.tsx';
import { BoardPage } from './pages/board-page.tsx';
import { BoardPickerPage } from '../features/board/components/board-picker-page.tsx';
import { RunnersPage } from '../features/runners/components/runners-page.tsx';
import { IntegrationsPage } from '../features/integrations/components/integrations-page.tsx';
import { InvitationsPage } from '../features/invitations/components/invitations-page.tsx';
import { UsagePage } from '../features/usage/components/usage-page.tsx';
import { EvalsPage } from '../features/evals/components/evals-page.tsx';
import { EvalPage } from '../features/evals/components/eval-page.tsx';
import { AuditPage } from '../features/audit/components/audit-page.tsx';
import { QuotasPage } from '../features/quotas/components/quotas-page.tsx';
import { SafetyPage } from '../features/safety/components/safety-page.tsx';
import { WorkspaceSettingsPage } from '../features/workspaces/components/workspace-settings-page.tsx';
import { JoinPage } from './pages/join-page.tsx';
import { Loading } from '../components/ui/loading.tsx';
import { EmptyState } from '../components/ui/empty-state.tsx';
import { buttonClass } from '../components/ui/button.tsx';
import { useTitle } from '../lib/use-title.ts';
import { AppLayout } from './layout.tsx';

/** The task page brings the terminal, Markdown and the highlighter: loaded when first opened. */
const TaskPage = lazy(() => import('../features/tasks/components/task-page.tsx'));

function NotFoundPage() {
  useTitle('Not found');
  return (
    <EmptyState
      title="There is no page here"
      action={
        <Link href="/tasks" className={buttonClass('secondary')}>
          Go to tasks
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
      <Route path="/join/:token">{({ token }) => <JoinPage token={token} />}</Route>
      <Route>
        <RequireAuth>
          {(user) => (
            <AppLayout user={user}>
              <Switch>
                <Route path="/">
                  <Redirect to="/tasks" replace />
                </Route>
                <Route path="/tasks" component={TasksPage} />
                <Route path="/tasks/new" component={NewTaskPage} />
                <Route path="/tasks/:id">
                  {({ id }) => (
                    <Suspense fallback={<Loading label="Loading the task…" />}>
                      <TaskPage key={id} id={id} />
                    </Suspense>
                  )}
                </Route>
                <Route path="/board" component={BoardPickerPage} />
                <Route path="/repos/:id/board/:taskId?">
                  {({ id, taskId }) => <BoardPage key={id} repoId={id} taskId={taskId} />}
                </Route>
                <Route path="/repos" component={ReposPage} />
                <Route path="/repos/:id">{({ id }) => <RepoDetailPage key={id} id={id} />}</Route>
                <Route path="/settings/tokens" component={TokensPage} />
                <Route path="/settings/workspace" component={WorkspaceSettingsPage} />
                <Route path="/settings/providers" component={ProvidersPage} />
                <Route path="/settings/runners" component={RunnersPage} />
                <Route path="/settings/integrations" component={IntegrationsPage} />
                <Route path="/settings/invitations" component={InvitationsPage} />
                <Route path="/usage" component={UsagePage} />
                <Route path="/evals" component={EvalsPage} />
                <Route path="/evals/:id">{({ id }) => <EvalPage key={id} id={id} />}</Route>
                <Route path="/audit" component={AuditPage} />
                <Route path="/settings/quotas" component={QuotasPage} />
                <Route path="/settings/safety" component={SafetyPage} />
                <Route component={NotFoundPage} />
              </Switch>
            </AppLayout>
          )}
        </RequireAuth>
      </Route>
    </Switch>
  );
}
