/**
 * @module features/workspaces/components/workspace-credentials
 * The workspace's own credentials, used by a member's task when its creator has none of their
 * own: a forge account per forge and a model provider key per provider. Everyone sees which are
 * set (the account's login, the key's last characters); admins and owners connect, set and remove
 * them. A token or key is never shown again once sent.
 */
import { useId, useState, type FormEvent } from 'react';
import type { ForgeProvider, KeyProvider } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { Card } from '../../../components/ui/card.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { InputField } from '../../../components/ui/input.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import {
  useConnectWorkspaceForge,
  useDeleteWorkspaceKey,
  useDisconnectWorkspaceForge,
  useSaveWorkspaceKey,
  useWorkspaceConnections,
  useWorkspaceProviderKeys,
} from '../api/credentials.ts';

const FORGES: Record<ForgeProvider, string> = { github: 'GitHub', gitlab: 'GitLab' };
const KEYS: Record<KeyProvider, string> = {
  anthropic: 'Anthropic',
  openai: 'OpenAI',
  'openai-compatible': 'OpenAI-compatible server',
  gemini: 'Google Gemini',
};
const selectClass = 'rounded-md border border-slate-300 px-2 py-2 text-sm';

function ConnectForge({ workspaceId, free }: { workspaceId: string; free: ForgeProvider[] }) {
  const connect = useConnectWorkspaceForge(workspaceId);
  const [provider, setProvider] = useState<ForgeProvider>(free[0] ?? 'github');
  const [token, setToken] = useState('');
  const forgeId = useId();
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    connect.mutate({ provider, token: token.trim() }, { onSuccess: () => setToken('') });
  };
  return (
    <form onSubmit={onSubmit} className="flex flex-wrap items-end gap-3 px-5 py-4">
      <div>
        <label htmlFor={forgeId} className="mb-1.5 block text-sm font-medium text-slate-700">
          Forge
        </label>
        <select
          id={forgeId}
          value={provider}
          className={selectClass}
          onChange={(e) => setProvider(e.target.value as ForgeProvider)}
        >
          {(Object.keys(FORGES) as ForgeProvider[]).map((p) => (
            <option key={p} value={p}>
              {FORGES[p]}
            </option>
          ))}
        </select>
      </div>
      <InputField
        label="Personal access token"
        type="password"
        autoComplete="off"
        required
        value={token}
        onChange={(e) => setToken(e.target.value)}
      />
      <Button type="submit" pending={connect.isPending} pendingText="Connecting…">
        Connect for the workspace
      </Button>
      {connect.error && (
        <div className="w-full">
          <ErrorMessage title="Could not connect" error={connect.error} />
        </div>
      )}
    </form>
  );
}

function SetKey({ workspaceId }: { workspaceId: string }) {
  const save = useSaveWorkspaceKey(workspaceId);
  const [provider, setProvider] = useState<KeyProvider>('anthropic');
  const [apiKey, setApiKey] = useState('');
  const providerId = useId();
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({ provider, apiKey: apiKey.trim() }, { onSuccess: () => setApiKey('') });
  };
  return (
    <form onSubmit={onSubmit} className="flex flex-wrap items-end gap-3 px-5 py-4">
      <div>
        <label htmlFor={providerId} className="mb-1.5 block text-sm font-medium text-slate-700">
          Provider
        </label>
        <select
          id={providerId}
          value={provider}
          className={selectClass}
          onChange={(e) => setProvider(e.target.value as KeyProvider)}
        >
          {(Object.keys(KEYS) as KeyProvider[]).map((p) => (
            <option key={p} value={p}>
              {KEYS[p]}
            </option>
          ))}
        </select>
      </div>
      <InputField
        label="API key"
        type="password"
        autoComplete="off"
        required
        value={apiKey}
        onChange={(e) => setApiKey(e.target.value)}
      />
      <Button type="submit" pending={save.isPending} pendingText="Saving…">
        Set the workspace's key
      </Button>
      {save.error && (
        <div className="w-full">
          <ErrorMessage title="Could not set the key" error={save.error} />
        </div>
      )}
    </form>
  );
}

/** The Credentials card of the workspace settings page; `manage` for admins and owners. */
export function WorkspaceCredentials({
  workspaceId,
  manage,
}: {
  workspaceId: string;
  manage: boolean;
}) {
  const connections = useWorkspaceConnections(workspaceId);
  const keys = useWorkspaceProviderKeys(workspaceId);
  const disconnect = useDisconnectWorkspaceForge(workspaceId);
  const removeKey = useDeleteWorkspaceKey(workspaceId);
  const failed = connections.error ?? keys.error;
  const free = (Object.keys(FORGES) as ForgeProvider[]).filter(
    (p) => !connections.data?.some((c) => c.provider === p),
  );
  return (
    <Card
      title="Credentials"
      label="Credentials"
      description={
        "Used by a member's task when its creator has none of their own. No one sees a token or key again once it is set" +
        (manage ? '.' : '; admins and owners change them.')
      }
    >
      {connections.isPending || keys.isPending ? (
        <Loading label="Loading the credentials…" />
      ) : failed ? (
        <ErrorMessage title="Could not load the credentials" error={failed} />
      ) : (
        <>
          <ul className="divide-y divide-slate-100" aria-label="Workspace credentials">
            {connections.data?.map((c) => (
              <li key={c.provider} className="flex items-center gap-3 px-5 py-3">
                <p className="min-w-0 flex-1 text-sm text-slate-900">
                  <span className="font-medium">{FORGES[c.provider]}</span> account{' '}
                  <span className="font-mono">{c.login}</span>
                </p>
                {manage && (
                  <Button
                    size="sm"
                    variant="secondary"
                    pending={disconnect.isPending && disconnect.variables === c.provider}
                    onClick={() => disconnect.mutate(c.provider)}
                  >
                    Disconnect {FORGES[c.provider]}
                  </Button>
                )}
              </li>
            ))}
            {keys.data?.map((k) => (
              <li key={k.provider} className="flex items-center gap-3 px-5 py-3">
                <p className="min-w-0 flex-1 text-sm text-slate-900">
                  <span className="font-medium">{KEYS[k.provider]}</span> key{' '}
                  <span className="font-mono">{k.hint}</span>
                </p>
                {manage && (
                  <Button
                    size="sm"
                    variant="secondary"
                    pending={removeKey.isPending && removeKey.variables === k.provider}
                    onClick={() => removeKey.mutate(k.provider)}
                  >
                    Remove {KEYS[k.provider]} key
                  </Button>
                )}
              </li>
            ))}
            {connections.data?.length === 0 && keys.data?.length === 0 && (
              <li className="px-5 py-3 text-sm text-slate-500">
                This workspace has no credentials of its own.
              </li>
            )}
          </ul>
          {disconnect.error && (
            <ErrorMessage title="Could not disconnect" error={disconnect.error} />
          )}
          {removeKey.error && (
            <ErrorMessage title="Could not remove the key" error={removeKey.error} />
          )}
          {manage && (
            <div className="border-t border-slate-100">
              {free.length > 0 && <ConnectForge workspaceId={workspaceId} free={free} />}
              <SetKey workspaceId={workspaceId} />
            </div>
          )}
        </>
      )}
    </Card>
  );
}
