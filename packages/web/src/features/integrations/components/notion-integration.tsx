/**
 * @module features/integrations/components/notion-integration
 * Settings → Integrations → Notion: each Notion workspace the user can use (its icon and name,
 * theirs or a workspace's, how it was connected, whether Notion has since refused its token) with
 * Disconnect, and Connect (Notion's consent page, when the server has a public integration) or an
 * internal integration's secret.
 */
import { useState } from 'react';
import type { NotionConnection } from '@lucid/contracts';
import { Button, buttonClass } from '../../../components/ui/button.tsx';
import {
  ConnectionItem,
  ConnectionsCard,
  TokenForm,
} from '../../../components/ui/connection-list.tsx';
import { Time } from '../../../components/ui/time.tsx';
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
  return (
    <ConnectionItem
      name={connection.workspaceName ?? 'Notion workspace'}
      icon={<WorkspaceIcon connection={connection} />}
      disconnect={{
        isPending: disconnect.isPending,
        error: disconnect.error,
        forget: (onDone) => disconnect.mutate(connection.id, { onSuccess: onDone }),
      }}
      forgets="Lucid forgets the Notion token and the databases’ mappings. Tasks started from its pages keep their links."
    >
      <p className="text-sm text-slate-600">
        {connection.owner === 'workspace' ? 'Shared with the workspace' : 'Yours'} ·{' '}
        {connection.method === 'oauth' ? 'connected by OAuth' : 'internal integration token'},{' '}
        <Time iso={connection.connectedAt} />
      </p>
      {connection.refusedAt && (
        <p role="alert" className="mt-1 text-sm font-medium text-red-700">
          Needs reconnect: Notion refused Lucid's token <Time iso={connection.refusedAt} />. Connect
          it again below.
        </p>
      )}
    </ConnectionItem>
  );
}

function NotionTokenForm({ onDone }: { onDone: () => void }) {
  const connect = useConnectNotion();
  return (
    <TokenForm
      label="Connect Notion with a token"
      fields={[
        {
          name: 'token',
          label: 'Internal integration secret',
          secret: true,
          className: 'w-96',
          hint: 'From notion.so/profile/integrations; share the databases with the integration. Checked with Notion, then stored encrypted.',
        },
      ]}
      connect={{
        isPending: connect.isPending,
        error: connect.error,
        submit: ({ token = '' }, onSuccess) => connect.mutate(token, { onSuccess }),
      }}
      onDone={onDone}
    />
  );
}

export function NotionIntegration() {
  const status = useNotionStatus();
  const [withToken, setWithToken] = useState(false);
  const own = status.data?.connections.some((c) => c.owner === 'user') ?? false;
  const refused = status.data?.connections.some((c) => c.refusedAt !== null) ?? false;
  return (
    <ConnectionsCard
      title="Notion"
      description="Start tasks from the pages of a Notion database."
      query={status}
      row={(connection: NotionConnection) => (
        <ConnectionRow key={connection.id} connection={connection} />
      )}
    >
      {(data) =>
        withToken ? (
          <NotionTokenForm onDone={() => setWithToken(false)} />
        ) : (
          <div className="mt-3 flex gap-2">
            {data.oauth && (
              <a href={notionAuthorizeHref()} className={buttonClass('primary', 'sm')}>
                {own || refused ? 'Reconnect Notion' : 'Connect Notion'}
              </a>
            )}
            <Button variant="secondary" size="sm" onClick={() => setWithToken(true)}>
              {data.oauth ? 'Use an internal integration token' : 'Connect Notion with a token'}
            </Button>
          </div>
        )
      }
    </ConnectionsCard>
  );
}
