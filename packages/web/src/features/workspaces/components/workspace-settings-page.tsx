/**
 * @module features/workspaces/components/workspace-settings-page
 * The active workspace's settings (the plan mode of its new tasks among them): its members and their roles (change, remove, leave), inviting
 * someone by email with a role (the link is shown once), the invitations still pending (revoke
 * one), a team workspace's own credentials, renaming it, deleting a team workspace, and making a
 * new team workspace.
 */
import { useId, useState, type FormEvent } from 'react';
import type {
  CreatedWorkspaceInvitation,
  InvitedRole,
  PlanMode,
  WorkspaceInvitation,
  WorkspaceRole,
} from '@lucid/contracts';
import { Button } from '../../../components/ui/button.tsx';
import { Card } from '../../../components/ui/card.tsx';
import { CodeBlock } from '../../../components/ui/code-block.tsx';
import { ConfirmDialog } from '../../../components/ui/confirm-dialog.tsx';
import { EmptyState } from '../../../components/ui/empty-state.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { InputField } from '../../../components/ui/input.tsx';
import { Loading } from '../../../components/ui/loading.tsx';
import { PageHeader } from '../../../components/ui/page-header.tsx';
import { PlanModeField, planModeLabel } from '../../../components/ui/plan-mode-field.tsx';
import { ShownOnce } from '../../../components/ui/shown-once.tsx';
import { Time } from '../../../components/ui/time.tsx';
import { setActiveWorkspace, useActiveWorkspace } from '../../../lib/active-workspace.ts';
import { useMe } from '../../../lib/use-me.ts';
import { useTitle } from '../../../lib/use-title.ts';
import {
  useChangeRole,
  useCreateWorkspace,
  useDeleteWorkspace,
  useInvite,
  useMembers,
  useRemoveMember,
  useRenameWorkspace,
  useWorkspacePlanMode,
  useRevokeWorkspaceInvitation,
  useWorkspaceInvitations,
} from '../api/workspaces.ts';
import { WorkspaceCredentials } from './workspace-credentials.tsx';

const ROLES: WorkspaceRole[] = ['owner', 'admin', 'member', 'viewer'];
const INVITED: InvitedRole[] = ['admin', 'member', 'viewer'];
const selectClass = 'rounded-md border border-slate-300 px-2 py-1 text-sm';

function Members({ workspaceId, manage }: { workspaceId: string; manage: boolean }) {
  const members = useMembers(workspaceId);
  const me = useMe();
  const change = useChangeRole(workspaceId);
  const remove = useRemoveMember(workspaceId);
  if (members.isPending) return <Loading label="Loading the members…" />;
  if (members.error)
    return <ErrorMessage title="Could not load the members" error={members.error} />;
  const myId = me.data?.user.id;
  return (
    <>
      <ul className="divide-y divide-slate-100" aria-label="Members">
        {members.data.map((m) => (
          <li key={m.userId} className="flex items-center gap-3 px-5 py-3">
            <div className="min-w-0 flex-1">
              <p className="text-sm font-medium text-slate-900">{m.name}</p>
              <p className="truncate text-xs text-slate-500">{m.email}</p>
            </div>
            {manage ? (
              <select
                aria-label={`Role of ${m.name}`}
                value={m.role}
                className={selectClass}
                onChange={(e) =>
                  change.mutate({ userId: m.userId, role: e.target.value as WorkspaceRole })
                }
              >
                {ROLES.map((r) => (
                  <option key={r}>{r}</option>
                ))}
              </select>
            ) : (
              <span className="text-sm text-slate-600">{m.role}</span>
            )}
            {(manage || m.userId === myId) && (
              <Button size="sm" variant="secondary" onClick={() => remove.mutate(m.userId)}>
                {m.userId === myId ? 'Leave' : 'Remove'}
              </Button>
            )}
          </li>
        ))}
      </ul>
      {change.error && <ErrorMessage title="Could not change the role" error={change.error} />}
      {remove.error && <ErrorMessage title="Could not remove the member" error={remove.error} />}
    </>
  );
}

function Invite({ workspaceId }: { workspaceId: string }) {
  const invite = useInvite(workspaceId);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<InvitedRole>('member');
  const roleId = useId();
  const [created, setCreated] = useState<CreatedWorkspaceInvitation | null>(null);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    invite.mutate(
      { email: email.trim(), role },
      {
        onSuccess: (answer) => {
          setCreated(answer);
          setEmail('');
        },
      },
    );
  };
  return (
    <Card title="Invite someone" description="They join with the role you choose.">
      <div className="px-5 py-4">
        {created ? (
          <ShownOnce title={`Invitation for ${created.email}`} onDone={() => setCreated(null)}>
            <p className="mt-1 text-sm text-amber-900">
              Send this link; it is shown once, works once and expires in 7 days.
            </p>
            <CodeBlock code={created.url} label="Copy link" />
          </ShownOnce>
        ) : (
          <form onSubmit={onSubmit} className="flex flex-wrap items-end gap-3">
            <InputField
              label="Email"
              type="email"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
            <label htmlFor={roleId} className="text-sm text-slate-700">
              Role
            </label>
            <select
              id={roleId}
              value={role}
              className={selectClass}
              onChange={(e) => setRole(e.target.value as InvitedRole)}
            >
              {INVITED.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
            <Button type="submit" pending={invite.isPending} pendingText="Inviting…">
              Invite
            </Button>
          </form>
        )}
        {invite.error && <ErrorMessage title="Could not invite" error={invite.error} />}
      </div>
    </Card>
  );
}

function PendingInvitations({ workspaceId }: { workspaceId: string }) {
  const invitations = useWorkspaceInvitations(workspaceId);
  const revoke = useRevokeWorkspaceInvitation(workspaceId);
  const [revoking, setRevoking] = useState<WorkspaceInvitation | null>(null);
  const close = () => {
    setRevoking(null);
    revoke.reset();
  };
  const pending = invitations.data?.filter((i) => i.status === 'pending') ?? [];
  return (
    <Card
      title="Pending invitations"
      description="Links sent and not used yet; revoke one and it stops working at once."
    >
      {invitations.isPending ? (
        <Loading label="Loading the invitations…" />
      ) : invitations.error ? (
        <ErrorMessage
          title="Could not load the invitations"
          error={invitations.error}
          onRetry={() => void invitations.refetch()}
        />
      ) : pending.length === 0 ? (
        <EmptyState title="No pending invitations">
          Someone you invite is listed here until they join or the link expires.
        </EmptyState>
      ) : (
        <ul className="divide-y divide-slate-100" aria-label="Pending invitations">
          {pending.map((i) => (
            <li key={i.id} className="flex items-center gap-3 px-5 py-3">
              <div className="min-w-0 flex-1">
                <p className="truncate text-sm font-medium text-slate-900">{i.email}</p>
                <p className="text-xs text-slate-500">
                  {i.role}
                  {i.invitedBy && <>, invited by {i.invitedBy.name}</>}; expires{' '}
                  <Time iso={i.expiresAt} />
                </p>
              </div>
              <Button
                size="sm"
                variant="secondary"
                aria-label={`Revoke the invitation for ${i.email}`}
                onClick={() => setRevoking(i)}
              >
                Revoke
              </Button>
            </li>
          ))}
        </ul>
      )}
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke the invitation for ${revoking?.email ?? ''}?`}
        confirmLabel="Revoke invitation"
        pending={revoke.isPending}
        error={revoke.error}
        onCancel={close}
        onConfirm={() => revoking && revoke.mutate(revoking.id, { onSuccess: close })}
      >
        Its link stops working at once: nobody can join the workspace with it.
      </ConfirmDialog>
    </Card>
  );
}

function Rename({ workspaceId, name }: { workspaceId: string; name: string }) {
  const rename = useRenameWorkspace(workspaceId);
  const [value, setValue] = useState(name);
  return (
    <Card title="Name">
      <form
        className="flex items-end gap-3 px-5 py-4"
        onSubmit={(e) => {
          e.preventDefault();
          rename.mutate(value.trim());
        }}
      >
        <InputField
          label="Workspace name"
          required
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <Button type="submit" variant="secondary" pending={rename.isPending} pendingText="Saving…">
          Rename
        </Button>
      </form>
      {rename.error && <ErrorMessage title="Could not rename" error={rename.error} />}
    </Card>
  );
}

function DeleteWorkspace({ workspaceId, name }: { workspaceId: string; name: string }) {
  const remove = useDeleteWorkspace(workspaceId);
  const { workspaces } = useActiveWorkspace();
  const [open, setOpen] = useState(false);
  return (
    <Card
      title="Delete this workspace"
      description="Its repositories and tasks are deleted with it."
      tone="danger"
      actions={
        <Button variant="danger" size="sm" onClick={() => setOpen(true)}>
          Delete workspace
        </Button>
      }
    >
      <ConfirmDialog
        open={open}
        title={`Delete “${name}”?`}
        confirmLabel="Delete workspace"
        pending={remove.isPending}
        error={remove.error}
        onCancel={() => setOpen(false)}
        onConfirm={() =>
          remove.mutate(undefined, {
            onSuccess: () => {
              setOpen(false);
              const personal = workspaces.find((w) => w.personal);
              if (personal) setActiveWorkspace(personal.id);
            },
          })
        }
      />
    </Card>
  );
}

function NewWorkspace() {
  const create = useCreateWorkspace();
  const [name, setName] = useState('');
  return (
    <Card title="New team workspace" description="You are its owner; invite others to it.">
      <form
        className="flex items-end gap-3 px-5 py-4"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate(name.trim(), {
            onSuccess: (workspace) => {
              setName('');
              setActiveWorkspace(workspace.id);
            },
          });
        }}
      >
        <InputField
          label="Team name"
          required
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <Button type="submit" pending={create.isPending} pendingText="Creating…">
          Create workspace
        </Button>
      </form>
      {create.error && <ErrorMessage title="Could not create the workspace" error={create.error} />}
    </Card>
  );
}

function DefaultPlanMode({ workspaceId, planMode }: { workspaceId: string; planMode: PlanMode }) {
  const save = useWorkspacePlanMode(workspaceId);
  const [value, setValue] = useState<PlanMode>(planMode);
  return (
    <Card
      title="Planning"
      description="Whether new tasks plan before they code, unless the task says otherwise."
    >
      <form
        aria-label="Default plan mode"
        className="flex items-end gap-3 px-5 py-4"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(value);
        }}
      >
        <div className="flex-1">
          <PlanModeField
            value={value}
            withDefault={false}
            onChange={(mode) => setValue(mode === '' ? 'off' : mode)}
          />
        </div>
        <Button type="submit" variant="secondary" pending={save.isPending} pendingText="Saving…">
          Save
        </Button>
      </form>
      {save.isSuccess && (
        <p role="status" className="px-5 pb-3 text-sm text-emerald-700">
          New tasks now default to: {planModeLabel(value).toLowerCase()}.
        </p>
      )}
      {save.error && <ErrorMessage title="Could not save" error={save.error} />}
    </Card>
  );
}

export function WorkspaceSettingsPage() {
  useTitle('Workspace settings');
  const { workspace } = useActiveWorkspace();
  if (!workspace) return <Loading />;
  const admin = workspace.role === 'owner' || workspace.role === 'admin';
  return (
    <div className="space-y-6">
      <PageHeader
        title={`Workspace: ${workspace.name}`}
        description={`${workspace.personal ? 'Your personal workspace' : 'A team workspace'}; you are ${workspace.role}.`}
      />
      <Card title="Members">
        <Members workspaceId={workspace.id} manage={admin && !workspace.personal} />
      </Card>
      {admin && !workspace.personal && <Invite workspaceId={workspace.id} />}
      {admin && !workspace.personal && <PendingInvitations workspaceId={workspace.id} />}
      {!workspace.personal && (
        <WorkspaceCredentials key={workspace.id} workspaceId={workspace.id} manage={admin} />
      )}
      {admin && <Rename key={workspace.id} workspaceId={workspace.id} name={workspace.name} />}
      {admin && (
        <DefaultPlanMode
          key={`${workspace.id}-plan`}
          workspaceId={workspace.id}
          planMode={workspace.planMode}
        />
      )}
      {workspace.role === 'owner' && !workspace.personal && (
        <DeleteWorkspace workspaceId={workspace.id} name={workspace.name} />
      )}
      <NewWorkspace />
    </div>
  );
}
