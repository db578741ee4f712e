/**
 * @module features/integrations/components/integrations-page
 * Settings → Integrations: per forge, the connected account (avatar, or its initial when the image
 * does not load; name, login, scopes) with Disconnect, or Connect (the provider's consent page,
 * when the server has an OAuth app for it) and a personal access token form. The callback's
 * `?error=` is shown at the top. Below the forges, Notion and Vercel.
 */
import { useState, type FormEvent } from 'react';
import type { ForgeProvider, Integration } from '@lucid/contracts';
import { Button, buttonClass } from '../../../components/ui/button.tsx';
import { Card } from '../../../components/ui/card.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { InputField } from '../../../components/ui/input.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { PageHeader } from '../../../components/ui/page-header.tsx';
import { Time } from '../../../components/ui/time.tsx';
import { fieldErrors } from '../../../lib/api.ts';
import { useTitle } from '../../../lib/use-title.ts';
import {
  authorizeHref,
  forgeNames,
  useConnectWithToken,
  useDisconnect,
  useIntegrations,
} from '../api/integrations.ts';
import { NotionIntegration } from './notion-integration.tsx';
import { VercelIntegration } from './vercel-integration.tsx';

const tokenHints: Record<ForgeProvider, string> = {
  github:
    'A classic token with the repo scope, or a fine-grained one with contents and pull requests.',
  gitlab: 'A personal access token with the api scope.',
};

/** What the callback said went wrong, in words. */
function callbackError(params: URLSearchParams): string | null {
  const code = params.get('error');
  if (!code) return null;
  return params.get('message') || `Connecting failed (${code}).`;
}

export function Account({ integration }: { integration: Integration }) {
  // An avatar that fails to load (a forge without one, an address that moved) gives way to the
  // initial rather than a broken image.
  const [brokenAvatar, setBrokenAvatar] = useState<string | null>(null);
  const avatarUrl =
    integration.avatarUrl && integration.avatarUrl !== brokenAvatar ? integration.avatarUrl : null;
  return (
    <div className="flex items-center gap-3">
      {avatarUrl ? (
        <img
          src={avatarUrl}
          alt=""
          onError={() => setBrokenAvatar(avatarUrl)}
          className="size-10 rounded-full ring-1 ring-slate-200"
        />
      ) : (
        <span
          aria-hidden="true"
          className="flex size-10 items-center justify-center rounded-full bg-slate-100 text-sm font-semibold text-slate-600"
        >
          {integration.login.slice(0, 1).toUpperCase()}
        </span>
      )}
      <div className="leading-tight">
        <p className="text-sm font-medium text-slate-900">
          {integration.name ?? integration.login}
        </p>
        <p className="text-sm text-slate-600">
          @{integration.login} ·{' '}
          {integration.method === 'oauth' ? 'connected by OAuth' : 'personal token'},{' '}
          <Time iso={integration.connectedAt} />
        </p>
        {integration.scopes.length > 0 && (
          <p className="text-xs text-slate-500">Scopes: {integration.scopes.join(', ')}</p>
        )}
      </div>
    </div>
  );
}

function TokenForm({ provider, onDone }: { provider: ForgeProvider; onDone: () => void }) {
  const connect = useConnectWithToken();
  const [token, setToken] = useState('');
  const name = forgeNames[provider];
  const errors = fieldErrors(connect.error);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    connect.mutate(
      { provider, token: token.trim() },
      {
        onSuccess: () => {
          setToken('');
          onDone();
        },
      },
    );
  };
  return (
    <form
      onSubmit={onSubmit}
      aria-label={`Connect ${name} with a token`}
      className="mt-3 flex flex-wrap items-start gap-3"
    >
      <InputField
        label={`${name} personal access token`}
        type="password"
        autoComplete="off"
        required
        minLength={8}
        className="w-96"
        value={token}
        error={errors.token}
        hint={`${tokenHints[provider]} Checked with ${name}, then stored encrypted.`}
        onChange={(event) => setToken(event.target.value)}
      />
      <div className="mt-7 flex gap-2">
        <Button type="submit" pending={connect.isPending} pendingText="Checking…">
          Connect
        </Button>
        <Button variant="ghost" onClick={onDone}>
          Cancel
        </Button>
      </div>
      {connect.error && !errors.token && (
        <div className="w-full">
          <ErrorMessage title="Not connected" error={connect.error} />
        </div>
      )}
    </form>
  );
}

function ForgeRow({
  provider,
  integration,
  oauth,
}: {
  provider: ForgeProvider;
  integration: Integration | undefined;
  oauth: boolean;
}) {
  const disconnect = useDisconnect();
  const [withToken, setWithToken] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const name = forgeNames[provider];
  return (
    <li className="py-4 first:pt-0 last:pb-0">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h3 className="mb-2 text-sm font-semibold text-slate-900">{name}</h3>
          {integration ? (
            <Account integration={integration} />
          ) : (
            <p className="text-sm text-slate-600">Not connected.</p>
          )}
        </div>
        {!withToken && (
          <div className="flex gap-2">
            {oauth && (
              <a href={authorizeHref(provider)} className={buttonClass('primary', 'sm')}>
                {integration ? `Reconnect ${name}` : `Connect ${name}`}
              </a>
            )}
            <Button variant="secondary" size="sm" onClick={() => setWithToken(true)}>
              {oauth ? 'Use a personal token' : `Connect ${name} with a token`}
            </Button>
            {integration && (
              <Button variant="ghost" size="sm" onClick={() => setConfirming(true)}>
                Disconnect
              </Button>
            )}
          </div>
        )}
      </div>
      {withToken && <TokenForm provider={provider} onDone={() => setWithToken(false)} />}
      <ConfirmDialog
        open={confirming}
        title={`Disconnect ${name}?`}
        confirmLabel="Disconnect"
        pending={disconnect.isPending}
        error={disconnect.error}
        onCancel={() => setConfirming(false)}
        onConfirm={() => disconnect.mutate(provider, { onSuccess: () => setConfirming(false) })}
      >
        Lucid forgets the account’s tokens. Repositories added from {name} can no longer be fetched
        or pushed until you connect again.
      </ConfirmDialog>
    </li>
  );
}

export function IntegrationsPage() {
  useTitle('Integrations');
  const integrations = useIntegrations();
  const [params] = useState(() => new URLSearchParams(window.location.search));
  const failure = callbackError(params);
  return (
    <>
      <PageHeader
        title="Integrations"
        description="Connect GitHub or GitLab to add their repositories and open pull requests from tasks, and Notion to start tasks from its pages."
      />
      {failure && (
        <div className="mb-6">
          <ErrorMessage title="Could not connect" error={new Error(failure)} />
        </div>
      )}
      <Card title="Forges">
        {integrations.isPending ? (
          <Loading label="Loading your integrations…" />
        ) : integrations.error ? (
          <ErrorMessage error={integrations.error} onRetry={() => void integrations.refetch()} />
        ) : (
          <ul className="divide-y divide-slate-100">
            {(['github', 'gitlab'] as const).map((provider) => (
              <ForgeRow
                key={provider}
                provider={provider}
                integration={integrations.data.integrations.find((i) => i.provider === provider)}
                oauth={integrations.data.oauth.includes(provider)}
              />
            ))}
          </ul>
        )}
      </Card>
      <NotionIntegration />
      <VercelIntegration />
    </>
  );
}
