/**
 * @module features/tokens/components/new-token-secret
 * A token's secret, the one time it is shown, with the commands that use it.
 */
import type { CreatedApiToken } from '@lucid/contracts';
import { CodeBlock } from '../../../components/ui/code-block.tsx';
import { ShownOnce } from '../../../components/ui/shown-once.tsx';

export function NewTokenSecret({ token, onDone }: { token: CreatedApiToken; onDone: () => void }) {
  return (
    <ShownOnce title={`Token “${token.name}” created`} onDone={onDone} className="mb-6">
      <p className="mt-1 text-sm text-amber-900">
        <strong>Copy it now: it will not be shown again.</strong> Anyone with it can act as you, so
        keep it like a password.
      </p>
      <div className="mt-3" data-testid="new-token">
        <CodeBlock code={token.token} label="Copy token" />
      </div>
      <p className="mt-4 text-sm text-amber-900">
        Sign the <code className="font-mono text-xs">lucid</code> command in with it (install it as
        shown below):
      </p>
      <div className="mt-2">
        <CodeBlock
          code={`lucid login --server ${window.location.origin} --token ${token.token}`}
          label="Copy login command"
          prompt
        />
      </div>
      <p className="mt-2 text-xs text-amber-900">
        With plain git, use it as the password (any user name works).
      </p>
    </ShownOnce>
  );
}
