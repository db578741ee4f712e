/**
 * @module features/auth/components/auth-page
 * The sign-in and sign-up pages: email and password, plus GitHub or Google when the server offers
 * them. Signed-in visitors go straight on to where they were headed.
 */
import { useState, type FormEvent } from 'react';
import { Link, Redirect, useLocation, useSearch } from 'wouter';
import { Button } from '../../../components/ui/button.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { InputField } from '../../../components/ui/input.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { useTitle } from '../../../lib/use-title.ts';
import { useSession } from '../api/get-session.ts';
import { useSignIn, useSignUp } from '../api/sign-in.ts';
import { SocialButtons } from './social-buttons.tsx';

/** Where to go after signing in: the page asked for, if it is one of ours. */
function nextPath(search: string): string {
  const next = new URLSearchParams(search).get('next');
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/tasks';
}

export function AuthPage({ mode }: { mode: 'sign-in' | 'sign-up' }) {
  const signingUp = mode === 'sign-up';
  useTitle(signingUp ? 'Create an account' : 'Sign in');
  const session = useSession();
  const search = useSearch();
  const [, navigate] = useLocation();
  const signIn = useSignIn();
  const signUp = useSignUp();
  const mutation = signingUp ? signUp : signIn;
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const next = nextPath(search);

  if (session.isPending) return <Loading />;
  if (session.data) return <Redirect to={next} replace />;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const done = { onSuccess: () => navigate(next, { replace: true }) };
    if (signingUp) signUp.mutate({ name: name.trim(), email: email.trim(), password }, done);
    else signIn.mutate({ email: email.trim(), password }, done);
  };
  const otherHref = `${signingUp ? '/sign-in' : '/sign-up'}${search ? `?${search}` : ''}`;

  return (
    <div className="flex min-h-screen flex-col items-center justify-center px-4 py-12">
      <div className="w-full max-w-sm">
        <div className="mb-8 text-center">
          <div
            aria-hidden="true"
            className="mx-auto flex size-11 items-center justify-center rounded-xl bg-indigo-600 text-xl font-bold text-white"
          >
            L
          </div>
          <h1 className="mt-4 text-2xl font-semibold tracking-tight text-slate-900">
            {signingUp ? 'Create your Lucid account' : 'Sign in to Lucid'}
          </h1>
          <p className="mt-2 text-sm text-slate-600">
            {signingUp
              ? 'Your repositories and API tokens live on this server.'
              : 'Welcome back. Sign in to see your repositories.'}
          </p>
        </div>

        <div className="rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
          <SocialButtons />
          <form onSubmit={onSubmit} className="space-y-4">
            {signingUp && (
              <InputField
                label="Name"
                name="name"
                autoComplete="name"
                required
                value={name}
                onChange={(event) => setName(event.target.value)}
              />
            )}
            <InputField
              label="Email"
              name="email"
              type="email"
              autoComplete="email"
              required
              value={email}
              onChange={(event) => setEmail(event.target.value)}
            />
            <InputField
              label="Password"
              name="password"
              type="password"
              autoComplete={signingUp ? 'new-password' : 'current-password'}
              required
              minLength={signingUp ? 8 : undefined}
              hint={signingUp ? 'At least 8 characters.' : undefined}
              value={password}
              onChange={(event) => setPassword(event.target.value)}
            />
            {mutation.error && (
              <ErrorMessage
                error={mutation.error}
                title={signingUp ? 'Could not create the account' : 'Could not sign in'}
              />
            )}
            <Button
              type="submit"
              className="w-full"
              pending={mutation.isPending}
              pendingText={signingUp ? 'Creating account…' : 'Signing in…'}
            >
              {signingUp ? 'Create account' : 'Sign in'}
            </Button>
          </form>
        </div>

        <p className="mt-6 text-center text-sm text-slate-600">
          {signingUp ? 'Already have an account? ' : 'New to Lucid? '}
          <Link href={otherHref} className="font-medium text-indigo-600 hover:text-indigo-500">
            {signingUp ? 'Sign in' : 'Create an account'}
          </Link>
        </p>
      </div>
    </div>
  );
}
