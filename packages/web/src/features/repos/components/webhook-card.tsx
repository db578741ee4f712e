/**
 * @module features/repos/components/webhook-card
 * A forge repository's webhook: its payload URL, whether it has a secret, and making a new secret
 * (shown once; the previous one stops working at once, so the forge's webhook needs the new one).
 */
import { useState } from 'react';
import type { Repo, RepoWebhookSecret } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { Card } from '../../../components/ui/card.tsx';
import { CodeBlock } from '../../../components/ui/code-block.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { useNewWebhookSecret } from '../api/webhook.ts';
import { WebhookSecret, WebhookSteps } from '../../../components/ui/webhook-secret.tsx';

export function WebhookCard({ repo }: { repo: Repo }) {
  const make = useNewWebhookSecret(repo.id);
  const [confirming, setConfirming] = useState(false);
  const [shown, setShown] = useState<RepoWebhookSecret | null>(null);
  if (!repo.webhook || !repo.upstream) return null;
  const { provider } = repo.upstream;
  const create = () =>
    make.mutate(undefined, {
      onSuccess: (made) => {
        setConfirming(false);
        setShown(made);
      },
    });

  if (shown) {
    return (
      <WebhookSecret
        provider={provider}
        repoName={repo.name}
        webhook={shown}
        onDone={() => setShown(null)}
      />
    );
  }
  return (
    <>
      <Card
        label="Tasks from issues"
        title="Tasks from issues"
        description={`A webhook on ${repo.upstream.fullName} lets people who may write to it start tasks here from its issues.`}
        actions={
          <Button
            variant="secondary"
            size="sm"
            pending={make.isPending && !confirming}
            pendingText="Making…"
            onClick={() => (repo.webhook?.secretSet ? setConfirming(true) : create())}
          >
            {repo.webhook.secretSet ? 'New secret' : 'Make a secret'}
          </Button>
        }
      >
        <p className="text-xs font-medium text-slate-500 uppercase">Payload URL</p>
        <div className="mt-1">
          <CodeBlock code={repo.webhook.url} label="Copy payload URL" />
        </div>
        <p className="mt-3 text-sm text-slate-600">
          {repo.webhook.secretSet
            ? 'Its secret was shown once, when it was made; make a new one if it is lost.'
            : 'It has no secret yet: make one, then set the webhook up with it.'}{' '}
          <WebhookSteps provider={provider} />
        </p>
        {make.error && !confirming && (
          <div className="mt-3">
            <ErrorMessage title="No secret was made" error={make.error} />
          </div>
        )}
      </Card>
      <ConfirmDialog
        open={confirming}
        title="Make a new webhook secret?"
        confirmLabel="Make a new secret"
        pending={make.isPending}
        error={make.error}
        onCancel={() => {
          setConfirming(false);
          make.reset();
        }}
        onConfirm={create}
      >
        The current secret stops working at once: deliveries are refused until you paste the new one
        into the webhook's settings.
      </ConfirmDialog>
    </>
  );
}
