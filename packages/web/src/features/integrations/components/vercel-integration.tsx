/**
 * @module features/integrations/components/vercel-integration
 * Settings → Integrations → Vercel: each Vercel account the user can use (its username and team,
 * theirs or a workspace's) with Disconnect, and a form connecting one with an access token and an
 * optional team.
 */
import { useState } from 'react';
import type { VercelConnection } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import {
  ConnectionItem,
  ConnectionsCard,
  TokenForm,
} from '../../../components/ui/connection-list.tsx';
import { Time } from '../../../components/ui/time.tsx';
import {
  useConnectVercel,
  useDisconnectVercel,
  useVercelStatus,
} from '../../../lib/queries/vercel.ts';

function ConnectionRow({ connection }: { connection: VercelConnection }) {
  const disconnect = useDisconnectVercel();
  return (
    <ConnectionItem
      name={connection.username}
      disconnect={{
        isPending: disconnect.isPending,
        error: disconnect.error,
        forget: (onDone) => disconnect.mutate(connection.id, { onSuccess: onDone }),
      }}
      forgets="Lucid forgets the Vercel token and the repositories’ links to its projects. Deployments stay on their tasks."
    >
      {connection.teamId && <p className="text-sm text-slate-600">team {connection.teamId}</p>}
      <p className="text-sm text-slate-600">
        {connection.owner === 'workspace' ? 'Shared with the workspace' : 'Yours'} · connected{' '}
        <Time iso={connection.connectedAt} />
      </p>
    </ConnectionItem>
  );
}

function VercelTokenForm({ onDone }: { onDone: () => void }) {
  const connect = useConnectVercel();
  return (
    <TokenForm
      label="Connect Vercel with a token"
      fields={[
        {
          name: 'token',
          label: 'Vercel access token',
          secret: true,
          className: 'w-80',
          hint: 'From vercel.com/account/tokens. Checked with Vercel, then stored encrypted.',
        },
        {
          name: 'teamId',
          label: 'Team (optional)',
          className: 'w-56',
          hint: 'Its id, team_…; empty for your personal account.',
        },
      ]}
      connect={{
        isPending: connect.isPending,
        error: connect.error,
        submit: ({ token = '', teamId }, onSuccess) =>
          connect.mutate({ token, ...(teamId ? { teamId } : {}) }, { onSuccess }),
      }}
      onDone={onDone}
    />
  );
}

export function VercelIntegration() {
  const status = useVercelStatus();
  const [withToken, setWithToken] = useState(false);
  return (
    <ConnectionsCard
      title="Vercel"
      description="Deploy a preview of each task’s work, and promote it to production once approved."
      query={status}
      row={(connection: VercelConnection) => (
        <ConnectionRow key={connection.id} connection={connection} />
      )}
    >
      {() =>
        withToken ? (
          <VercelTokenForm onDone={() => setWithToken(false)} />
        ) : (
          <div className="mt-3">
            <Button variant="secondary" size="sm" onClick={() => setWithToken(true)}>
              Connect Vercel with a token
            </Button>
          </div>
        )
      }
    </ConnectionsCard>
  );
}
