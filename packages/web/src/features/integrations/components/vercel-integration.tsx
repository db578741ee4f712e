/**
 * @module features/integrations/components/vercel-integration
 * Settings → Integrations → Vercel: each Vercel account the user can use (its username and team,
 * theirs or a workspace's) with Disconnect, and a form connecting one with an access token and an
 * optional team.
 */
import { useState, type FormEvent } from 'react';
import type { VercelConnection } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { Card } from '../../../components/ui/card.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { InputField } from '../../../components/ui/input.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { Time } from '../../../components/ui/time.tsx';
import { fieldErrors } from '../../../lib/api.ts';
import {
  useConnectVercel,
  useDisconnectVercel,
  useVercelStatus,
} from '../../../lib/queries/vercel.ts';

function ConnectionRow({ connection }: { connection: VercelConnection }) {
  const disconnect = useDisconnectVercel();
  const [confirming, setConfirming] = useState(false);
  return (
    <li className="flex flex-wrap items-center justify-between gap-3 py-3 first:pt-0">
      <div className="leading-tight">
        <p className="text-sm font-medium text-slate-900">
          {connection.username}
          {connection.teamId && <span className="text-slate-600"> · team {connection.teamId}</span>}
        </p>
        <p className="text-sm text-slate-600">
          {connection.owner === 'workspace' ? 'Shared with the workspace' : 'Yours'} · connected{' '}
          <Time iso={connection.connectedAt} />
        </p>
      </div>
      <Button variant="ghost" size="sm" onClick={() => setConfirming(true)}>
        Disconnect
      </Button>
      <ConfirmDialog
        open={confirming}
        title={`Disconnect ${connection.username}?`}
        confirmLabel="Disconnect"
        pending={disconnect.isPending}
        error={disconnect.error}
        onCancel={() => setConfirming(false)}
        onConfirm={() =>
          disconnect.mutate(connection.id, { onSuccess: () => setConfirming(false) })
        }
      >
        Lucid forgets the Vercel token and the repositories’ links to its projects. Deployments stay
        on their tasks.
      </ConfirmDialog>
    </li>
  );
}

function TokenForm({ onDone }: { onDone: () => void }) {
  const connect = useConnectVercel();
  const [token, setToken] = useState('');
  const [teamId, setTeamId] = useState('');
  const errors = fieldErrors(connect.error);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    connect.mutate(
      { token: token.trim(), ...(teamId.trim() ? { teamId: teamId.trim() } : {}) },
      {
        onSuccess: () => {
          setToken('');
          setTeamId('');
          onDone();
        },
      },
    );
  };
  return (
    <form
      onSubmit={onSubmit}
      aria-label="Connect Vercel with a token"
      className="mt-3 flex flex-wrap items-start gap-3"
    >
      <InputField
        label="Vercel access token"
        type="password"
        autoComplete="off"
        required
        minLength={10}
        className="w-80"
        value={token}
        error={errors.token}
        hint="From vercel.com/account/tokens. Checked with Vercel, then stored encrypted."
        onChange={(event) => setToken(event.target.value)}
      />
      <InputField
        label="Team (optional)"
        autoComplete="off"
        className="w-56"
        value={teamId}
        error={errors.teamId}
        hint="Its id, team_…; empty for your personal account."
        onChange={(event) => setTeamId(event.target.value)}
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

export function VercelIntegration() {
  const status = useVercelStatus();
  const [withToken, setWithToken] = useState(false);
  return (
    <Card
      title="Vercel"
      description="Deploy a preview of each task’s work, and promote it to production once approved."
      className="mt-6"
    >
      {status.isPending ? (
        <Loading label="Loading Vercel…" />
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
          {withToken ? (
            <TokenForm onDone={() => setWithToken(false)} />
          ) : (
            <div className="mt-3">
              <Button variant="secondary" size="sm" onClick={() => setWithToken(true)}>
                Connect Vercel with a token
              </Button>
            </div>
          )}
        </>
      )}
    </Card>
  );
}
