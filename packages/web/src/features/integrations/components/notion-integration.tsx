/**
 * @module features/integrations/components/notion-integration
 * Settings → Integrations → Notion: each Notion workspace the user can use (its icon and name,
 * theirs or a workspace's, how it was connected, whether Notion has since refused its token) with
 * Disconnect, and Connect (Notion's consent page, when the server has a public integration) or an
 * internal integration's secret.
 */
import { useState, type FormEvent } from 'react';
import type { NotionConnection } from '@lucid/contracts';
import { Button, buttonClass } from '../../../components/ui/button.tsx';
import { Card } from '../../../components/ui/card.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { InputField } from '../../../components/ui/input.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { Time } from '../../../components/ui/time.tsx';
import { fieldErrors } from '../../../lib/api.ts';
import {
  notionAuthorizeHref,
  useConnectNotion,
  useDisconnectNotion,
  useNotionStatus,
} from '../../../lib/queries/notion.ts';

/** The Notion workspace's icon: an emoji, an image, or its initial. */
function WorkspaceIcon({ connection }: { connection: NotionConnection }) {
  const [broken, setBroken] = useState(false);
  const icon = connection.workspaceIcon;
  const name = connection.workspaceName ?? 'Notion';
  if (icon && /^https?:\/\//.test(icon) && !broken) {
    return (
      <img
        src={icon}
        alt=""
        onError={() => setBroken(true)}
        className="size-10 rounded-md ring-1 ring-slate-200"
      />
    );
  }
  return (
    <span
      aria-hidden="true"
      className="flex size-10 items-center justify-center rounded-md bg-slate-100 text-lg font-semibold text-slate-700"
    >
      {icon && !/^https?:\/\//.test(icon) ? icon : name.slice(0, 1).toUpperCase()}
    </span>
  );
}

function ConnectionRow({ connection }: { connection: NotionConnection }) {
  const disconnect = useDisconnectNotion();
  const [confirming, setConfirming] = useState(false);
  const name = connection.workspaceName ?? 'Notion workspace';
  return (
    <li className="flex flex-wrap items-center justify-between gap-3 py-3 first:pt-0">
      <div className="flex items-center gap-3">
        <WorkspaceIcon connection={connection} />
        <div className="leading-tight">
          <p className="text-sm font-medium text-slate-900">{name}</p>
          <p className="text-sm text-slate-600">
            {connection.owner === 'workspace' ? 'Shared with the workspace' : 'Yours'} ·{' '}
            {connection.method === 'oauth' ? 'connected by OAuth' : 'internal integration token'},{' '}
            <Time iso={connection.connectedAt} />
          </p>
          {connection.refusedAt && (
            <p role="alert" className="mt-1 text-sm font-medium text-red-700">
              Needs reconnect: Notion refused Lucid's token <Time iso={connection.refusedAt} />.
              Connect it again below.
            </p>
          )}
        </div>
      </div>
      <Button variant="ghost" size="sm" onClick={() => setConfirming(true)}>
        Disconnect
      </Button>
      <ConfirmDialog
        open={confirming}
        title={`Disconnect ${name}?`}
        confirmLabel="Disconnect"
        pending={disconnect.isPending}
        error={disconnect.error}
        onCancel={() => setConfirming(false)}
        onConfirm={() =>
          disconnect.mutate(connection.id, { onSuccess: () => setConfirming(false) })
        }
      >
        Lucid forgets the Notion token and the databases’ mappings. Tasks started from its pages
        keep their links.
      </ConfirmDialog>
    </li>
  );
}

function TokenForm({ onDone }: { onDone: () => void }) {
  const connect = useConnectNotion();
  const [token, setToken] = useState('');
  const errors = fieldErrors(connect.error);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    connect.mutate(token.trim(), {
      onSuccess: () => {
        setToken('');
        onDone();
      },
    });
  };
  return (
    <form
      onSubmit={onSubmit}
      aria-label="Connect Notion with a token"
      className="mt-3 flex flex-wrap items-start gap-3"
    >
      <InputField
        label="Internal integration secret"
        type="password"
        autoComplete="off"
        required
        minLength={10}
        className="w-96"
        value={token}
        error={errors.token}
        hint="From notion.so/profile/integrations; share the databases with the integration. Checked with Notion, then stored encrypted."
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

export function NotionIntegration() {
  const status = useNotionStatus();
  const [withToken, setWithToken] = useState(false);
  const own = status.data?.connections.some((c) => c.owner === 'user') ?? false;
  const refused = status.data?.connections.some((c) => c.refusedAt !== null) ?? false;
  return (
    <Card
      title="Notion"
      description="Start tasks from the pages of a Notion database."
      className="mt-6"
    >
      {status.isPending ? (
        <Loading label="Loading Notion…" />
      ) : status.error ? (
        <ErrorMessage error={status.error} onRetry={() => void status.refetch()} />
      ) : (
        <>
          {status.data.connections.length > 0 ? (
            <ul className="divide-y divide-slate-100">
              {status.data.connections.map((connection) => (
                <ConnectionRow key={connection.id} connection={connection} />
              ))}
            </ul>
          ) : (
            <p className="text-sm text-slate-600">Not connected.</p>
          )}
          {!withToken && (
            <div className="mt-3 flex gap-2">
              {status.data.oauth && (
                <a href={notionAuthorizeHref()} className={buttonClass('primary', 'sm')}>
                  {own || refused ? 'Reconnect Notion' : 'Connect Notion'}
                </a>
              )}
              <Button variant="secondary" size="sm" onClick={() => setWithToken(true)}>
                {status.data.oauth
                  ? 'Use an internal integration token'
                  : 'Connect Notion with a token'}
              </Button>
            </div>
          )}
          {withToken && <TokenForm onDone={() => setWithToken(false)} />}
        </>
      )}
    </Card>
  );
}
