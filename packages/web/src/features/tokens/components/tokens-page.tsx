/**
 * @module features/tokens/components/tokens-page
 * API tokens: create one (its secret shown once), see them all, revoke them.
 */
import { useState, type FormEvent } from 'react';
import type { CreatedApiToken } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { Card } from '../../../components/ui/card.tsx';
import { CliInstall } from '../../../components/ui/cli-install.tsx';
import { CodeBlock } from '../../../components/ui/code-block.tsx';
import { EmptyState } from '../../../components/ui/empty-state.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { InputField } from '../../../components/ui/input.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { PageHeader } from '../../../components/ui/page-header.tsx';
import { fieldErrors } from '../../../lib/api.ts';
import { useTitle } from '../../../lib/use-title.ts';
import { useCreateToken, useTokens } from '../api/tokens.ts';
import { NewTokenSecret } from './new-token-secret.tsx';
import { TokenList } from './token-list.tsx';

function CreateTokenForm({ onCreated }: { onCreated: (token: CreatedApiToken) => void }) {
  const createToken = useCreateToken();
  const [name, setName] = useState('');

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    createToken.mutate(
      { name: name.trim() },
      {
        onSuccess: (token) => {
          setName('');
          onCreated(token);
        },
      },
    );
  };
  const nameError = fieldErrors(createToken.error).name;

  return (
    <Card
      title="Create a token"
      description="Name it after where it will be used, so you know which to revoke."
    >
      <form onSubmit={onSubmit} className="flex flex-wrap items-start gap-3">
        <InputField
          label="Token name"
          name="name"
          required
          maxLength={100}
          autoComplete="off"
          placeholder="laptop"
          className="w-72"
          error={nameError}
          value={name}
          onChange={(event) => setName(event.target.value)}
        />
        <Button
          type="submit"
          className="mt-7"
          pending={createToken.isPending}
          pendingText="Creating…"
        >
          Create token
        </Button>
      </form>
      {createToken.error && !nameError && (
        <div className="mt-4">
          <ErrorMessage title="Could not create the token" error={createToken.error} />
        </div>
      )}
    </Card>
  );
}

export function TokensPage() {
  useTitle('API tokens');
  const tokens = useTokens();
  const [created, setCreated] = useState<CreatedApiToken | null>(null);

  return (
    <>
      <PageHeader
        title="API tokens"
        description="Tokens let the Lucid CLI and the REST API act as you, and are the password for git over HTTP."
      />
      {created && <NewTokenSecret token={created} onDone={() => setCreated(null)} />}
      <div className="space-y-6">
        <CreateTokenForm onCreated={setCreated} />
        <Card
          title="The lucid command"
          description="Sign in from a terminal to push repositories and work with Lucid."
        >
          <CliInstall />
          <p className="mt-3 text-sm text-slate-600">Then sign in with a token:</p>
          <div className="mt-2">
            <CodeBlock
              code={`lucid login --server ${window.location.origin} --token <token>`}
              label="Copy the login command"
              prompt
            />
          </div>
        </Card>
        <Card title="Your tokens">
          {tokens.isPending ? (
            <Loading label="Loading tokens…" />
          ) : tokens.error ? (
            <ErrorMessage
              title="Could not load your tokens"
              error={tokens.error}
              onRetry={() => void tokens.refetch()}
            />
          ) : tokens.data.length === 0 ? (
            <EmptyState title="No tokens yet">
              Create one above to use the CLI or push with git.
            </EmptyState>
          ) : (
            <TokenList tokens={tokens.data} />
          )}
        </Card>
      </div>
    </>
  );
}
