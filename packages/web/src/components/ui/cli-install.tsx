/**
 * @module components/ui/cli-install
 * How to install the `lucid` command on any machine that reaches this server: npm installs the
 * package the server serves at `/cli.tgz`.
 */
import { CodeBlock } from './code-block.tsx';

/** The shell command that installs `lucid` from `server`. */
export function cliInstallCommand(server: string): string {
  return `npm install -g ${server}/cli.tgz`;
}

/** The install command, copyable, with what it needs. */
export function CliInstall({ server = window.location.origin }: { server?: string }) {
  return (
    <div role="group" aria-label="Install the lucid command">
      <p className="text-sm text-slate-600">
        Install the <code className="font-mono text-xs">lucid</code> command once on each machine
        that uses it (it needs Node.js 20.19 or later):
      </p>
      <div className="mt-2">
        <CodeBlock code={cliInstallCommand(server)} label="Copy the install command" prompt />
      </div>
    </div>
  );
}
