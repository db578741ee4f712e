/**
 * @module features/safety/components/safety-page
 * The workspace's safety policy: paths the agent's work may not touch, the most files one change
 * may touch, and the shell commands the built-in agent refuses. Owners and admins change it;
 * others read it. Every push out of Lucid is checked against it, with a scan for secrets.
 */
import { useState, type FormEvent } from 'react';
import type { SafetyPolicyView } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { Card } from '../../../components/ui/card.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { InputField, TextareaField } from '../../../components/ui/input.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { PageHeader } from '../../../components/ui/page-header.tsx';
import { useActiveWorkspace } from '../../../lib/active-workspace.ts';
import { useTitle } from '../../../lib/use-title.ts';
import { useSafetyPolicy, useSaveSafetyPolicy } from '../api/safety-policy.ts';

const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

function PolicyForm({ workspaceId, policy }: { workspaceId: string; policy: SafetyPolicyView }) {
  const save = useSaveSafetyPolicy(workspaceId);
  const [paths, setPaths] = useState(policy.protectedPaths.join('\n'));
  const [maxFiles, setMaxFiles] = useState(policy.maxFilesChanged?.toString() ?? '');
  const [commands, setCommands] = useState(policy.refusedCommands.join('\n'));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({
      protectedPaths: lines(paths),
      maxFilesChanged: maxFiles.trim() === '' ? null : Number(maxFiles),
      refusedCommands: lines(commands),
    });
  };
  return (
    <form onSubmit={submit} className="space-y-4">
      <TextareaField
        label="Protected paths"
        hint="One glob a line: a change touching one is not pushed. A path ending in / covers its folder; * stays within a folder, ** crosses folders."
        placeholder={'.github/workflows/\ninfra/**'}
        rows={4}
        value={paths}
        onChange={(event) => setPaths(event.target.value)}
      />
      <InputField
        label="Most files one change may touch"
        type="number"
        min={1}
        placeholder="No limit"
        value={maxFiles}
        onChange={(event) => setMaxFiles(event.target.value)}
      />
      <TextareaField
        label="Refused commands"
        hint="One pattern a line (* is any text): the built-in agent refuses a command matching one, or any part of it joined by ;, &&, || or |."
        placeholder={'curl *\ngit push --force*'}
        rows={4}
        value={commands}
        onChange={(event) => setCommands(event.target.value)}
      />
      {save.error && <ErrorMessage title="Could not save the policy" error={save.error} />}
      {save.isSuccess && !save.isPending && (
        <p role="status" className="text-sm text-emerald-700">
          Policy saved.
        </p>
      )}
      <Button type="submit" pending={save.isPending}>
        Save policy
      </Button>
    </form>
  );
}

function PolicyView({ policy }: { policy: SafetyPolicyView }) {
  const list = (items: string[]) => (items.length === 0 ? 'none' : items.join(', '));
  return (
    <dl className="space-y-3 text-sm">
      <div>
        <dt className="font-medium text-slate-700">Protected paths</dt>
        <dd className="font-mono text-slate-600">{list(policy.protectedPaths)}</dd>
      </div>
      <div>
        <dt className="font-medium text-slate-700">Most files one change may touch</dt>
        <dd className="text-slate-600">{policy.maxFilesChanged ?? 'no limit'}</dd>
      </div>
      <div>
        <dt className="font-medium text-slate-700">Refused commands</dt>
        <dd className="font-mono text-slate-600">{list(policy.refusedCommands)}</dd>
      </div>
      <p className="text-slate-500">An owner or an admin of the workspace can change them.</p>
    </dl>
  );
}

export function SafetyPage() {
  useTitle('Safety');
  const { workspace } = useActiveWorkspace();
  const policy = useSafetyPolicy(workspace?.id ?? '');

  if (workspace && policy.isPending) return <Loading label="Loading the safety policy…" />;
  if (policy.error)
    return <ErrorMessage title="Could not load the safety policy" error={policy.error} />;
  if (!workspace || !policy.data) return null;
  return (
    <div className="space-y-6">
      <PageHeader
        title="Safety"
        description={`Before Lucid pushes work of ${workspace.name} to a forge, it scans the commits for secrets and checks them against this policy; a finding or a breach blocks the push.`}
      />
      <Card>
        {policy.data.canEdit ? (
          <PolicyForm workspaceId={workspace.id} policy={policy.data} />
        ) : (
          <PolicyView policy={policy.data} />
        )}
      </Card>
    </div>
  );
}
