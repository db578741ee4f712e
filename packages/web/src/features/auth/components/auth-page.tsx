/**
 * @module features/auth/components/auth-page
 * The sign-in and sign-up pages: email and password, plus GitHub or Google when the server offers
 * them. Sign-up follows the server's rule: open, by invitation (the page is opened with the link's
 * `?invitation=…`, which goes along with the sign-up) or closed, and says so. A refusal that comes
 * back from GitHub or Google (`?error=…&error_description=…`) is shown. Signed-in visitors go
 * straight on to where they were headed. On a server with no account yet, the first visitor is
 * offered to create its admin account instead of being welcomed back.
 */
import { useState, type FormEvent } from 'react';
import { Link, Redirect, useLocation, useSearch } from 'wouter';
import { Button, buttonClass } from '../../../components/ui/button.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { InputField } from '../../../components/ui/input.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { useTitle } from '../../../lib/use-title.ts';
import type { SignUpMode } from '@lucid/contracts';
import { useAuthProviders } from '../api/get-providers.ts';
import { useSession } from '../api/get-session.ts';
import { useSignIn, useSignUp } from '../api/sign-in.ts';
import { SocialButtons } from './social-buttons.tsx';

/** Where to go after signing in: the page asked for, if it is one of ours. */
function nextPath(params: URLSearchParams): string {
  const next = params.get('next');
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/tasks';
}

/** Why sign-up is not offered, when it is not. */
const noSignUp: Record<Exclude<SignUpMode, 'open'>, { title: string; text: string }> = {
  invite: {
    title: 'Sign-up is by invitation',
    text: 'Open the invitation link an admin of this server sent you. If you have none, ask an admin for one.',
  },
  closed: {
    title: 'Sign-up is closed',
    text: 'This server is not taking new accounts. Ask its admin if you need one.',
  },
};

/** The sign-in page's way to a new account, as the server's sign-up mode allows. */
function SignUpHint({ mode, href }: { mode: SignUpMode | undefined; href: string }) {
  if (mode === 'open') {
    return (
      <>
        New to Lucid?{' '}
        <Link href={href} className="font-medium text-indigo-600 hover:text-indigo-500">
          Create an account
        </Link>
      </>
    );
  }
  if (mode === 'invite') return <>New to Lucid? Ask an admin of this server for an invitation.</>;
  return null;
}

/** `?next=…` to carry to the other auth page, when this one was given one. */
function nextQueryOf(params: URLSearchParams): string {
  return params.has('next') ? `?next=${encodeURIComponent(nextPath(params))}` : '';
}

function Logo() {
  return (
    <div
      aria-hidden="true"
      className="mx-auto flex size-11 items-center justify-center rounded-xl bg-indigo-600 text-xl font-bold text-white"
    >
      L
    </div>
  );
}

/** The sign-in page of a server with no account yet: the way to its first, admin, account. */
function FirstVisit({ href }: { href: string }) {
  return (
    <div className="flex min-h-screen flex-col items-center justify-center px-4 py-12">
      <div className="w-full max-w-sm text-center">
        <Logo />
        <h1 className="mt-4 text-2xl font-semibold tracking-tight text-slate-900">
          Welcome to Lucid
        </h1>
        <p className="mt-2 text-sm text-slate-600">
          This server has no account yet. The first one you create is its admin: it can invite
          others, and scale and remove runners.
        </p>
        <Link href={href} className={buttonClass('primary', 'md', 'mt-6 w-full')}>
          Create the admin account
        </Link>
      </div>
    </div>
  );
}

export function AuthPage({ mode }: { mode: 'sign-in' | 'sign-up' }) {
  const signingUp = mode === 'sign-up';
  useTitle(signingUp ? 'Create an account' : 'Sign in');
  const session = useSession();
  const providers = useAuthProviders();
  const search = useSearch();
  const [, navigate] = useLocation();
  const signIn = useSignIn();
  const signUp = useSignUp();
  const mutation = signingUp ? signUp : signIn;
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const params = new URLSearchParams(search);
  const next = nextPath(params);
  const invitation = params.get('invitation') ?? undefined;
  const returnedError = params.get('error_description') ?? params.get('error');

  // Sign-up waits to know whether it is offered; sign-in shows at once.
  if (session.isPending || (signingUp && providers.isPending)) return <Loading />;
  if (session.data) return <Redirect to={next} replace />;

  const signUpMode = providers.data?.signUp;
  const firstAccount = providers.data?.firstAccount === true;
  if (firstAccount && !signingUp) return <FirstVisit href={`/sign-up${nextQueryOf(params)}`} />;
  const refusal =
    signingUp &&
    signUpMode !== undefined &&
    signUpMode !== 'open' &&
    !(signUpMode === 'invite' && invitation)
      ? noSignUp[signUpMode]
      : null;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const done = { onSuccess: () => navigate(next, { replace: true }) };
    if (signingUp) {
      signUp.mutate({ name: name.trim(), email: email.trim(), password, invitation }, done);
    } else {
      signIn.mutate({ email: email.trim(), password }, done);
    }
  };
  const nextQuery = nextQueryOf(params);
  const otherHref = `${signingUp ? '/sign-in' : '/sign-up'}${nextQuery}`;

  return (
    <div className="flex min-h-screen flex-col items-center justify-center px-4 py-12">
      <div className="w-full max-w-sm">
        <div className="mb-8 text-center">
          <Logo />
          <h1 className="mt-4 text-2xl font-semibold tracking-tight text-slate-900">
            {firstAccount
              ? 'Create the admin account'
              : signingUp
                ? 'Create your Lucid account'
                : 'Sign in to Lucid'}
          </h1>
          <p className="mt-2 text-sm text-slate-600">
            {firstAccount
              ? 'No one has an account on this server yet: yours will be its admin, who invites the others.'
              : signingUp
                ? invitation
                  ? 'You have been invited to this Lucid server.'
                  : 'Your repositories and API tokens live on this server.'
                : 'Welcome back. Sign in to see your repositories.'}
          </p>
        </div>

        {returnedError && (
          <div className="mb-4">
            <ErrorMessage
              title={signingUp ? 'Could not create the account' : 'Could not sign in'}
              error={new Error(returnedError)}
            />
          </div>
        )}

        {refusal ? (
          <div className="rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
            <h2 className="text-base font-semibold text-slate-900">{refusal.title}</h2>
            <p className="mt-2 text-sm text-slate-600">{refusal.text}</p>
          </div>
        ) : (
          <div className="rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
            <SocialButtons invitation={signingUp ? invitation : undefined} />
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
        )}

        <p className="mt-6 text-center text-sm text-slate-600">
          {signingUp ? (
            <>
              Already have an account?{' '}
              <Link href={otherHref} className="font-medium text-indigo-600 hover:text-indigo-500">
                Sign in
              </Link>
            </>
          ) : (
            <SignUpHint mode={signUpMode} href={otherHref} />
          )}
        </p>
      </div>
    </div>
  );
}
