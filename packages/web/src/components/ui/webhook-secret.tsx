/**
 * @module components/ui/webhook-secret
 * A repository's webhook payload URL and secret, the one time the secret is shown, with where to
 * paste them on the forge.
 */
import type { ForgeProvider, RepoWebhookSecret } from '@lucid/contracts';
import { CodeBlock } from './code-block.tsx';
import { ShownOnce } from './shown-once.tsx';

/** Where the forge keeps a repository's webhooks, and what to fill in there. */
export function WebhookSteps({ provider }: { provider: ForgeProvider }) {
  return provider === 'github' ? (
    <>
      On GitHub, open the repository's <strong>Settings → Webhooks → Add webhook</strong>: paste the
      payload URL, choose the content type <code className="font-mono">application/json</code>,
      paste the secret, and pick the events <em>Issues</em> and <em>Issue comments</em>.
    </>
  ) : (
    <>
      On GitLab, open the project's <strong>Settings → Webhooks → Add new webhook</strong>: paste
      the URL and the secret token, and tick <em>Issues events</em> and <em>Comments</em>.
    </>
  );
}

export function WebhookSecret({
  provider,
  repoName,
  webhook,
  doneLabel = 'I have copied it',
  onDone,
}: {
  provider: ForgeProvider;
  repoName: string;
  webhook: RepoWebhookSecret;
  doneLabel?: string;
  onDone: () => void;
}) {
  return (
    <ShownOnce
      title={`Webhook for ${repoName}`}
      label={`Webhook secret for ${repoName}`}
      doneLabel={doneLabel}
      onDone={onDone}
    >
      <p className="mt-1 text-sm text-amber-900">
        With this webhook, labelling an issue <code className="font-mono">lucid</code> or mentioning{' '}
        <code className="font-mono">@lucid</code> in a comment starts a task here.{' '}
        <strong>Copy the secret now: it will not be shown again.</strong>
      </p>
      <p className="mt-3 text-xs font-medium text-amber-900 uppercase">Payload URL</p>
      <div className="mt-1" data-testid="webhook-url">
        <CodeBlock code={webhook.url} label="Copy payload URL" />
      </div>
      <p className="mt-3 text-xs font-medium text-amber-900 uppercase">Secret</p>
      <div className="mt-1" data-testid="webhook-secret">
        <CodeBlock code={webhook.secret} label="Copy webhook secret" />
      </div>
      <p className="mt-3 text-sm text-amber-900">
        <WebhookSteps provider={provider} />
      </p>
    </ShownOnce>
  );
}
