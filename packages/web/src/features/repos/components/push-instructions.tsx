/**
 * @module features/repos/components/push-instructions
 * How to get code into Lucid: into an existing repository with plain git (an API token as the
 * password), or as a new repository from a local one with the `lucid` CLI.
 */
import { Link } from 'wouter';
import type { Repo } from '@lucid/contracts';
import { CliInstall } from '../../../components/ui/cli-install.tsx';
import { CodeBlock } from '../../../components/ui/code-block.tsx';

function TokenLink() {
  return (
    <Link href="/settings/tokens" className="font-medium text-indigo-600 underline">
      API token
    </Link>
  );
}

/** Pushing a local repository into this one with git. */
export function PushInstructions({ repo }: { repo: Pick<Repo, 'cloneUrl' | 'defaultBranch'> }) {
  return (
    <div>
      <p className="text-sm text-slate-600">
        From your local repository; when git asks for credentials, any user name works and the
        password is an <TokenLink />.
      </p>
      <div className="mt-2 space-y-2">
        <CodeBlock
          code={`git remote add lucid ${repo.cloneUrl}`}
          label="Copy git remote command"
          prompt
        />
        <CodeBlock
          code={`git push lucid ${repo.defaultBranch}`}
          label="Copy git push command"
          prompt
        />
      </div>
    </div>
  );
}

/** Creating a repository here from a local one, in one command, with the `lucid` CLI. */
export function IngestInstructions({ server }: { server: string }) {
  return (
    <div>
      <p className="text-sm text-slate-600">
        Sign in once with an <TokenLink /> in place of{' '}
        <code className="font-mono text-xs">&lt;token&gt;</code>, then ingest a local repository:
        this creates it here and pushes its current branch (or{' '}
        <code className="whitespace-nowrap">--all-branches</code>).
      </p>
      <div className="mt-2">
        <CliInstall server={server} />
      </div>
      <div className="mt-2 space-y-2">
        <CodeBlock
          code={`lucid login --server ${server} --token <token>`}
          label="Copy login command"
          prompt
        />
        <CodeBlock code="lucid ingest <path> --name <name>" label="Copy ingest command" prompt />
      </div>
    </div>
  );
}
