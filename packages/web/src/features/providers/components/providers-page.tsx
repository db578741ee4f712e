/**
 * @module features/providers/components/providers-page
 * Settings → Model providers: per provider, who configures it for the user's tasks (their key,
 * the server, or no one), the user's own key (only its hint is ever shown; an OpenAI-compatible key
 * carries its server's URL), and the models tasks can use with the server's keys and the user's.
 */
import { useState, type FormEvent } from 'react';
import type { KeyProvider, ProviderKey, ProviderStatus } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { Card } from '../../../components/ui/card.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { EmptyState } from '../../../components/ui/empty-state.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { InputField } from '../../../components/ui/input.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { PageHeader } from '../../../components/ui/page-header.tsx';
import { Time } from '../../../components/ui/time.tsx';
import { fieldErrors } from '../../../lib/api.ts';
import { useTitle } from '../../../lib/use-title.ts';
import {
  useDeleteProviderKey,
  useModels,
  useProviderKeys,
  useProviderStatuses,
  useSaveProviderKey,
} from '../../../lib/queries/providers.ts';

const providerNames: Record<KeyProvider, string> = {
  anthropic: 'Anthropic',
  openai: 'OpenAI',
  'openai-compatible': 'OpenAI-compatible server',
  gemini: 'Google Gemini',
};

const sourceBadges: Record<ProviderStatus['source'], { text: string; tone: string }> = {
  own_key: { text: 'Your key', tone: 'bg-indigo-50 text-indigo-700' },
  server: { text: 'Configured by the server', tone: 'bg-emerald-50 text-emerald-800' },
  none: { text: 'Not available', tone: 'bg-slate-100 text-slate-600' },
};

/** Who configures the provider for the user's tasks, as a badge. */
function SourceBadge({ status }: { status: ProviderStatus | undefined }) {
  if (!status) return null;
  const badge = sourceBadges[status.source];
  return (
    <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${badge.tone}`}>
      {badge.text}
    </span>
  );
}

function ProviderRow({
  provider,
  stored,
  status,
}: {
  provider: KeyProvider;
  stored?: ProviderKey | undefined;
  status?: ProviderStatus | undefined;
}) {
  const save = useSaveProviderKey();
  const remove = useDeleteProviderKey();
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [apiKey, setApiKey] = useState('');
  const [baseUrl, setBaseUrl] = useState(stored?.baseUrl ?? '');
  const name = providerNames[provider];
  const errors = fieldErrors(save.error);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(
      {
        provider,
        apiKey: apiKey.trim(),
        ...(provider === 'openai-compatible' && baseUrl.trim() ? { baseUrl: baseUrl.trim() } : {}),
      },
      {
        onSuccess: () => {
          setApiKey('');
          setEditing(false);
        },
      },
    );
  };

  return (
    <li className="py-4 first:pt-0 last:pb-0">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h3 className="flex items-center gap-2 text-sm font-semibold text-slate-900">
            {name} <SourceBadge status={status} />
          </h3>
          <p className="text-sm text-slate-600">
            {stored ? (
              <>
                Your key <span className="font-mono">{stored.hint}</span>
                {stored.baseUrl && (
                  <>
                    {' '}
                    at <span className="font-mono">{stored.baseUrl}</span>
                  </>
                )}
                , saved <Time iso={stored.updatedAt} />
                {status?.server && '; without it, the server’s is used'}
              </>
            ) : status?.server ? (
              'No key of yours: your tasks use the server’s.'
            ) : status ? (
              'Neither you nor the server has a key: its models are not available to your tasks.'
            ) : (
              'No key of yours: tasks use the server’s, if it has one.'
            )}
          </p>
        </div>
        {!editing && (
          <div className="flex gap-2">
            <Button variant="secondary" size="sm" onClick={() => setEditing(true)}>
              {stored ? `Replace ${name} key` : `Add ${name} key`}
            </Button>
            {stored && (
              <Button variant="ghost" size="sm" onClick={() => setConfirming(true)}>
                Remove
              </Button>
            )}
          </div>
        )}
      </div>
      {editing && (
        <form
          onSubmit={onSubmit}
          aria-label={`${name} key`}
          className="mt-3 flex flex-wrap items-start gap-3"
        >
          <InputField
            label={`${name} API key`}
            type="password"
            autoComplete="off"
            required
            minLength={8}
            className="w-80"
            value={apiKey}
            error={errors.apiKey}
            hint="Checked with the provider, then stored encrypted; never shown again."
            onChange={(event) => setApiKey(event.target.value)}
          />
          {provider === 'openai-compatible' && (
            <InputField
              label="Base URL"
              type="url"
              placeholder="https://llm.example.com/v1"
              className="w-80"
              value={baseUrl}
              error={errors.baseUrl}
              hint="The server’s address; the server’s default when empty."
              onChange={(event) => setBaseUrl(event.target.value)}
            />
          )}
          <div className="mt-7 flex gap-2">
            <Button type="submit" pending={save.isPending} pendingText="Checking…">
              Save key
            </Button>
            <Button
              variant="ghost"
              onClick={() => {
                setEditing(false);
                save.reset();
              }}
            >
              Cancel
            </Button>
          </div>
          {save.error && !errors.apiKey && !errors.baseUrl && (
            <div className="w-full">
              <ErrorMessage title="The key was not saved" error={save.error} />
            </div>
          )}
        </form>
      )}
      <ConfirmDialog
        open={confirming}
        title={`Remove your ${name} key?`}
        confirmLabel="Remove key"
        pending={remove.isPending}
        error={remove.error}
        onCancel={() => setConfirming(false)}
        onConfirm={() => remove.mutate(provider, { onSuccess: () => setConfirming(false) })}
      >
        Tasks will use the server’s key for {name}, or none if it has none.
      </ConfirmDialog>
    </li>
  );
}

function ModelList() {
  const models = useModels();
  if (models.isPending) return <Loading label="Loading models…" />;
  if (models.error) {
    return <ErrorMessage error={models.error} onRetry={() => void models.refetch()} />;
  }
  if (models.data.length === 0) {
    return (
      <EmptyState title="No model is usable yet">
        Add a key above: the models of that provider become available to your tasks.
      </EmptyState>
    );
  }
  return (
    <ul aria-label="Usable models" className="divide-y divide-slate-100">
      {models.data.map((model) => (
        <li key={model.id} className="flex items-center gap-2 py-1.5 text-sm">
          <span className="font-mono text-slate-800">{model.id}</span>
          {model.default && (
            <span className="rounded-full bg-indigo-50 px-2 py-0.5 text-xs font-medium text-indigo-700">
              default
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}

export function ProvidersPage() {
  useTitle('Model providers');
  const keys = useProviderKeys();
  const statuses = useProviderStatuses();
  return (
    <>
      <PageHeader
        title="Model providers"
        description="Your own API keys, used for your tasks instead of the server’s."
      />
      <div className="space-y-6">
        <Card title="Your keys">
          {keys.isPending ? (
            <Loading label="Loading your keys…" />
          ) : keys.error ? (
            <ErrorMessage error={keys.error} onRetry={() => void keys.refetch()} />
          ) : (
            <ul className="divide-y divide-slate-100">
              {(Object.keys(providerNames) as KeyProvider[]).map((provider) => (
                <ProviderRow
                  key={provider}
                  provider={provider}
                  stored={keys.data.find((k) => k.provider === provider)}
                  status={statuses.data?.find((p) => p.provider === provider)}
                />
              ))}
            </ul>
          )}
        </Card>
        <Card title="Usable models" description="What tasks can name as their model.">
          <ModelList />
        </Card>
      </div>
    </>
  );
}
