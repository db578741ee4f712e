/**
 * @module features/runners/components/runners-page
 * The runner panel: the pool's figures, each runner with its status, the server runner's slots
 * with − and + for instance admins (read-only for everyone else), and the command that starts a
 * runner on another host with a freshly minted runner token, ready to copy. An instance admin can
 * remove an offline remote runner. Others than instance
 * admins see the runners and runs that concern them (the server answers only those).
 */
import { useState, type FormEvent } from 'react';
import type { Runner } from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { Card } from '../../../components/ui/card.tsx';
import { CliInstall } from '../../../components/ui/cli-install.tsx';
import { CodeBlock } from '../../../components/ui/code-block.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { InputField } from '../../../components/ui/input.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { PageHeader } from '../../../components/ui/page-header.tsx';
import { Time } from '../../../components/ui/time.tsx';
import { useTitle } from '../../../lib/use-title.ts';
import { useCreateRunnerToken, useMe, useRunners, useScaleRunner } from '../api/runners.ts';
import { RemoveRunner } from './remove-runner.tsx';

const statusTones: Record<Runner['status'], string> = {
  idle: 'bg-emerald-50 text-emerald-800',
  busy: 'bg-sky-50 text-sky-800',
  offline: 'bg-slate-100 text-slate-600',
};

function Stat({ label, value }: { label: string; value: number }) {
  return (
    <div className="rounded-md bg-white px-4 py-3 ring-1 ring-slate-200">
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="text-2xl font-semibold text-slate-900">{value}</dd>
    </div>
  );
}

function Slots({ runner, admin }: { runner: Runner; admin: boolean }) {
  const scale = useScaleRunner();
  if (runner.kind !== 'in_process' || !admin) {
    return <span aria-label={`Slots of ${runner.name}`}>{runner.capacity}</span>;
  }
  return (
    <div>
      <div className="flex items-center gap-2">
        <Button
          size="sm"
          variant="secondary"
          aria-label="Remove a slot"
          disabled={runner.capacity <= 0}
          pending={scale.isPending}
          onClick={() => scale.mutate(runner.capacity - 1)}
        >
          −
        </Button>
        <span aria-label={`Slots of ${runner.name}`} className="w-6 text-center font-medium">
          {runner.capacity}
        </span>
        <Button
          size="sm"
          variant="secondary"
          aria-label="Add a slot"
          disabled={runner.capacity >= 64}
          pending={scale.isPending}
          onClick={() => scale.mutate(runner.capacity + 1)}
        >
          +
        </Button>
      </div>
      {scale.error && (
        <div className="mt-2">
          <ErrorMessage error={scale.error} />
        </div>
      )}
    </div>
  );
}

function RunnerCommand() {
  const create = useCreateRunnerToken();
  const [name, setName] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(name.trim() || 'runner');
  };
  const command = create.data
    ? `LUCID_RUNNER_TOKEN=${create.data.token} lucid runner --server ${window.location.origin}`
    : null;
  return (
    <Card>
      <h2 className="text-base font-semibold text-slate-900">Add a runner on another host</h2>
      <p className="mt-1 text-sm text-slate-600">
        A runner token lets a host run the tasks of the workspaces you administer. It is shown once.
      </p>
      <div className="mt-3">
        <CliInstall />
      </div>
      <form onSubmit={submit} className="mt-3 flex items-end gap-3" aria-label="New runner token">
        <InputField
          label="Runner name"
          name="runner-name"
          placeholder="build-host-1"
          maxLength={100}
          value={name}
          onChange={(event) => setName(event.target.value)}
          className="w-64"
        />
        <Button type="submit" pending={create.isPending} pendingText="Creating…">
          Create a runner command
        </Button>
      </form>
      {create.error && (
        <div className="mt-3">
          <ErrorMessage error={create.error} />
        </div>
      )}
      {command && (
        <div className="mt-3" aria-label="Runner command" role="group">
          <CodeBlock code={command} label="Copy the runner command" prompt />
        </div>
      )}
    </Card>
  );
}

export function RunnersPage() {
  useTitle('Runners');
  const runners = useRunners();
  const me = useMe();
  const admin = me.data?.instanceAdmin === true;

  return (
    <>
      <PageHeader
        title="Runners"
        description="Where tasks run: the server's own runner and runners on other hosts."
      />
      {runners.isPending ? (
        <Loading label="Loading runners…" />
      ) : runners.error ? (
        <ErrorMessage
          title="Could not load the runners"
          error={runners.error}
          onRetry={() => void runners.refetch()}
        />
      ) : (
        <div className="space-y-6">
          <dl aria-label="Pool" className="grid grid-cols-2 gap-3 sm:grid-cols-5">
            <Stat
              label="Runners online"
              value={runners.data.runners.filter((r) => r.status !== 'offline').length}
            />
            <Stat label="Slots" value={runners.data.pool.slots} />
            <Stat label="Runs in progress" value={runners.data.pool.busy} />
            <Stat label="Runs waiting" value={runners.data.pool.queuedRuns} />
            <Stat label="Warm sandboxes" value={runners.data.pool.warmSandboxes} />
          </dl>
          {!admin && (
            <p className="text-sm text-slate-600">
              You see the server's runners, the runners you added and those working on your
              workspaces' tasks, with your workspaces' runs only. Only an instance admin can change
              the server runner's slots.
            </p>
          )}
          {runners.data.runners.length === 0 ? (
            <p className="rounded-md bg-white px-4 py-3 text-sm text-slate-600 ring-1 ring-slate-200">
              No runner yet: this server runs none of its own. Add one on another host below.
            </p>
          ) : (
            <div className="overflow-x-auto rounded-lg bg-white shadow-sm ring-1 ring-slate-200">
              <table className="w-full text-left text-sm">
                <caption className="sr-only">Runners</caption>
                <thead className="border-b border-slate-100 text-xs text-slate-500 uppercase">
                  <tr>
                    <th scope="col" className="px-4 py-2.5 font-medium">
                      Runner
                    </th>
                    <th scope="col" className="px-4 py-2.5 font-medium">
                      Status
                    </th>
                    <th scope="col" className="px-4 py-2.5 font-medium">
                      Slots
                    </th>
                    <th scope="col" className="px-4 py-2.5 font-medium">
                      Runs
                    </th>
                    <th scope="col" className="px-4 py-2.5 font-medium">
                      Last heartbeat
                    </th>
                    {admin && (
                      <th scope="col" className="px-4 py-2.5">
                        <span className="sr-only">Actions</span>
                      </th>
                    )}
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {runners.data.runners.map((runner) => (
                    <tr key={runner.id}>
                      <td className="px-4 py-2.5">
                        <span className="font-medium text-slate-900">{runner.name}</span>
                        <span className="ml-2 text-xs text-slate-500">
                          {runner.kind === 'in_process' ? 'on this server' : 'remote'}
                        </span>
                      </td>
                      <td className="px-4 py-2.5">
                        <span
                          className={`rounded-full px-2 py-0.5 text-xs font-medium ${statusTones[runner.status]}`}
                        >
                          {runner.status}
                        </span>
                      </td>
                      <td className="px-4 py-2.5">
                        <Slots runner={runner} admin={admin} />
                      </td>
                      <td className="px-4 py-2.5">{runner.currentRuns.length}</td>
                      <td className="px-4 py-2.5 text-slate-600">
                        {runner.lastHeartbeatAt ? <Time iso={runner.lastHeartbeatAt} /> : '—'}
                      </td>
                      {admin && (
                        <td className="px-4 py-2.5 text-right">
                          <RemoveRunner runner={runner} />
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <RunnerCommand />
        </div>
      )}
    </>
  );
}
