import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CreatedWorkspaceInvitation,
  Repo,
  TaskList,
  Workspace,
  WorkspaceInvitationList,
  WorkspaceMemberList,
} from '@lucid/contracts';
import { auditLog, invitations } from '../src/db/schema.ts';
import { request, signUp, type TestUser } from './support/client.ts';
import { authedUrl, git } from './support/git.ts';
import { pushedRepo, startTask } from './support/tasks.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

type ErrorAnswer = { error: { code: string; message: string } };

let server: TestServer;
let owner: TestUser;

let counter = 0;
const newEmail = () => `member${(counter += 1)}-${process.pid}-${Date.now()}@example.test`;

const api = <T = unknown>(user: TestUser, method: string, pathname: string, json?: unknown) =>
  request<T>(server.url, method, `/api/v1${pathname}`, {
    token: user.token,
    ...(json !== undefined && { json }),
  });

async function createTeam(user: TestUser, name: string): Promise<Workspace> {
  const created = await api<Workspace>(user, 'POST', '/workspaces', { name });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

async function invite(
  user: TestUser,
  workspaceId: string,
  json: { email: string; role?: string },
): Promise<CreatedWorkspaceInvitation> {
  const created = await api<CreatedWorkspaceInvitation>(
    user,
    'POST',
    `/workspaces/${workspaceId}/invitations`,
    json,
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

/** A second user made a member of the workspace with `role`, through an accepted invitation. */
async function memberWith(workspaceId: string, role: string): Promise<TestUser> {
  const email = newEmail();
  const { token } = await invite(owner, workspaceId, { email, role });
  return signUp(server.url, 'Member', { email, invitation: token });
}

async function auditActions(workspaceId: string): Promise<string[]> {
  const rows = await server.database.db
    .select({ action: auditLog.action })
    .from(auditLog)
    .where(eq(auditLog.workspaceId, workspaceId));
  return rows.map((r) => r.action);
}

beforeAll(async () => {
  server = await startTestServer({ env: { LUCID_SIGNUP: 'invite' } });
  owner = await signUp(server.url, 'Owner');
});
afterAll(() => server.close());

describe('workspaces', () => {
  it('a team workspace is made, listed, read and renamed; its maker is its owner', async () => {
    const team = await createTeam(owner, 'Platform');
    expect(team).toMatchObject({ name: 'Platform', personal: false, role: 'owner' });
    const list = await api<{ workspaces: Workspace[] }>(owner, 'GET', '/workspaces');
    expect(list.body.workspaces.map((w) => [w.personal, w.role])).toEqual([
      [true, 'owner'],
      [false, 'owner'],
    ]);
    const renamed = await api<Workspace>(owner, 'PATCH', `/workspaces/${team.id}`, {
      name: 'Platform team',
    });
    expect(renamed.status).toBe(200);
    expect((await api<Workspace>(owner, 'GET', `/workspaces/${team.id}`)).body.name).toBe(
      'Platform team',
    );
    expect(await auditActions(team.id)).toEqual(['workspace.create', 'workspace.rename']);
  });

  it('someone outside a workspace is told it does not exist; a viewer may not rename it', async () => {
    const team = await createTeam(owner, 'Closed');
    const viewer = await memberWith(team.id, 'viewer');
    const stranger = await memberWith((await createTeam(owner, 'Elsewhere')).id, 'member');
    for (const [method, path, body] of [
      ['GET', '', undefined],
      ['PATCH', '', { name: 'x' }],
      ['DELETE', '', undefined],
      ['GET', '/members', undefined],
      ['POST', '/invitations', { email: 'x@example.test' }],
    ] as const) {
      const answer = await api<ErrorAnswer>(
        stranger,
        method,
        `/workspaces/${team.id}${path}`,
        body,
      );
      expect(answer.status, `${method} ${path}`).toBe(404);
    }
    const rename = await api<ErrorAnswer>(viewer, 'PATCH', `/workspaces/${team.id}`, { name: 'x' });
    expect(rename.status).toBe(403);
    expect(rename.body.error).toMatchObject({ code: 'forbidden' });
    expect(rename.body.error.message).toContain('admin');
  });

  it('only an owner deletes a team workspace, and a personal one is never deleted', async () => {
    const team = await createTeam(owner, 'Short-lived');
    const admin = await memberWith(team.id, 'admin');
    const repo = await pushedRepo(server.url, owner, 'doomed');
    expect(
      (await api(owner, 'POST', `/repos/${repo.id}/move`, { workspaceId: team.id })).status,
    ).toBe(200);
    const byAdmin = await api<ErrorAnswer>(admin, 'DELETE', `/workspaces/${team.id}`);
    expect(byAdmin.status).toBe(403);
    expect(byAdmin.body.error.message).toContain('owner');
    const personal = (
      await api<{ workspaces: Workspace[] }>(owner, 'GET', '/workspaces')
    ).body.workspaces.find((w) => w.personal);
    const refused = await api<ErrorAnswer>(owner, 'DELETE', `/workspaces/${personal?.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/personal workspace cannot be deleted/);
    expect((await api(owner, 'DELETE', `/workspaces/${team.id}`)).status).toBe(204);
    expect((await api(owner, 'GET', `/workspaces/${team.id}`)).status).toBe(404);
    expect((await api(owner, 'GET', `/repos/${repo.id}`)).status).toBe(404);
    expect(
      (await api<{ workspaces: Workspace[] }>(admin, 'GET', '/workspaces')).body.workspaces.map(
        (w) => w.personal,
      ),
    ).toEqual([true]);
  });
});

describe('workspace invitations', () => {
  it('a link signs its address up where sign-up is by invitation, and joins it with the role', async () => {
    const team = await createTeam(owner, 'Joiners');
    const email = newEmail();
    const created = await invite(owner, team.id, { email, role: 'viewer' });
    expect(created.url).toBe(`${server.config.publicUrl}/join/${created.token}`);
    const [stored] = await server.database.db
      .select()
      .from(invitations)
      .where(eq(invitations.id, created.id));
    expect(stored?.tokenHash).not.toContain(created.token);
    const joined = await signUp(server.url, 'Joiner', { email, invitation: created.token });
    const members = await api<WorkspaceMemberList>(owner, 'GET', `/workspaces/${team.id}/members`);
    expect(members.body.members.map((m) => [m.email, m.role])).toEqual([
      [owner.email, 'owner'],
      [email, 'viewer'],
    ]);
    const theirs = await api<{ workspaces: Workspace[] }>(joined, 'GET', '/workspaces');
    expect(theirs.body.workspaces.map((w) => [w.name, w.role])).toEqual([
      ['Joiner', 'owner'],
      ['Joiners', 'viewer'],
    ]);
    expect(await auditActions(team.id)).toContain('workspace.invitation.accept');
  });

  it("a signed-in user accepts once; a used, expired or another address's link is refused", async () => {
    const team = await createTeam(owner, 'Acceptors');
    const other = await memberWith((await createTeam(owner, 'Lobby')).id, 'member');
    const second = await memberWith((await createTeam(owner, 'Lobby 2')).id, 'member');

    const forOther = await invite(owner, team.id, {
      email: other.email.toUpperCase(),
      role: 'member',
    });
    const wrong = await api<ErrorAnswer>(
      second,
      'POST',
      `/workspace-invitations/${forOther.token}/accept`,
    );
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('invitation_wrong_account');
    expect(wrong.body.error.message).toContain(second.email);

    const accepted = await api<{ workspace: Workspace }>(
      other,
      'POST',
      `/workspace-invitations/${forOther.token}/accept`,
    );
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body.workspace).toMatchObject({ id: team.id, role: 'member' });

    const reused = await api<ErrorAnswer>(
      other,
      'POST',
      `/workspace-invitations/${forOther.token}/accept`,
    );
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('invitation_used');

    const late = await invite(owner, team.id, { email: second.email });
    await server.database.db
      .update(invitations)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(invitations.id, late.id));
    const expired = await api<ErrorAnswer>(
      second,
      'POST',
      `/workspace-invitations/${late.token}/accept`,
    );
    expect(expired.status).toBe(410);
    expect(expired.body.error).toMatchObject({ code: 'invitation_expired' });
    expect(expired.body.error.message).toMatch(/expired/);

    const bogus = await api<ErrorAnswer>(
      second,
      'POST',
      '/workspace-invitations/lucid_join_nope/accept',
    );
    expect(bogus.status).toBe(404);
    expect(bogus.body.error.code).toBe('invitation_not_found');
  });

  it('a workspace invitation cannot sign up another address', async () => {
    const team = await createTeam(owner, 'Strict');
    const created = await invite(owner, team.id, { email: newEmail() });
    const answer = await request<{ code: string }>(server.url, 'POST', '/api/auth/sign-up/email', {
      json: {
        email: newEmail(),
        password: 'correct horse battery',
        name: 'X',
        invitation: created.token,
      },
    });
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('invitation_invalid');
  });

  it('only admins invite, and a personal workspace is not shared', async () => {
    const team = await createTeam(owner, 'Gated');
    const member = await memberWith(team.id, 'member');
    const byMember = await api<ErrorAnswer>(member, 'POST', `/workspaces/${team.id}/invitations`, {
      email: newEmail(),
    });
    expect(byMember.status).toBe(403);
    const personal = (
      await api<{ workspaces: Workspace[] }>(owner, 'GET', '/workspaces')
    ).body.workspaces.find((w) => w.personal);
    const shared = await api<ErrorAnswer>(
      owner,
      'POST',
      `/workspaces/${personal?.id}/invitations`,
      {
        email: newEmail(),
      },
    );
    expect(shared.status).toBe(409);
  });
});

describe('pending workspace invitations', () => {
  it('admins list them with their status and who invited, and revoke one: its link is refused', async () => {
    const team = await createTeam(owner, 'Revokers');
    const admin = await memberWith(team.id, 'admin');
    const kept = await invite(owner, team.id, { email: newEmail(), role: 'viewer' });
    const dropped = await invite(admin, team.id, { email: newEmail(), role: 'member' });

    const listed = await api<WorkspaceInvitationList>(
      admin,
      'GET',
      `/workspaces/${team.id}/invitations`,
    );
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    const byId = new Map(listed.body.invitations.map((i) => [i.id, i]));
    expect(byId.get(kept.id)).toMatchObject({
      email: kept.email,
      role: 'viewer',
      status: 'pending',
      invitedBy: { id: owner.id, name: 'Owner' },
      expiresAt: kept.expiresAt,
      revokedAt: null,
    });
    expect(byId.get(dropped.id)).toMatchObject({ status: 'pending', invitedBy: { id: admin.id } });
    expect(JSON.stringify(listed.body)).not.toContain(kept.token);
    // The admin's own invitation was accepted: it is listed as used.
    expect(listed.body.invitations.filter((i) => i.status === 'accepted')).toHaveLength(1);

    const revoked = await api(owner, 'DELETE', `/workspaces/${team.id}/invitations/${dropped.id}`);
    expect(revoked.status).toBe(204);
    const again = await api(owner, 'DELETE', `/workspaces/${team.id}/invitations/${dropped.id}`);
    expect(again.status).toBe(204);
    const after = await api<WorkspaceInvitationList>(
      owner,
      'GET',
      `/workspaces/${team.id}/invitations`,
    );
    expect(after.body.invitations.find((i) => i.id === dropped.id)).toMatchObject({
      status: 'revoked',
      revokedAt: expect.any(String),
    });
    expect(await auditActions(team.id)).toContain('workspace.invitation.revoke');

    // Neither a signed-in account with the address nor a sign-up can use the link any more.
    const invitee = await memberWith((await createTeam(owner, 'Elsewhere')).id, 'member');
    const forInvitee = await invite(owner, team.id, { email: invitee.email });
    await api(owner, 'DELETE', `/workspaces/${team.id}/invitations/${forInvitee.id}`);
    const refused = await api<ErrorAnswer>(
      invitee,
      'POST',
      `/workspace-invitations/${forInvitee.token}/accept`,
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'invitation_invalid' });
    expect(refused.body.error.message).toMatch(/^This invitation has been revoked/);
    const signUpAnswer = await request<{ code: string; message: string }>(
      server.url,
      'POST',
      '/api/auth/sign-up/email',
      {
        json: {
          email: dropped.email,
          password: 'correct horse battery',
          name: 'Late',
          invitation: dropped.token,
        },
      },
    );
    expect(signUpAnswer.status).toBe(403);
    expect(signUpAnswer.body.message).toMatch(/revoked/);
    const members = await api<WorkspaceMemberList>(owner, 'GET', `/workspaces/${team.id}/members`);
    expect(members.body.members.map((m) => m.email)).not.toContain(invitee.email);

    const used = listed.body.invitations.find((i) => i.status === 'accepted');
    const usedOne = await api<ErrorAnswer>(
      owner,
      'DELETE',
      `/workspaces/${team.id}/invitations/${used?.id}`,
    );
    expect(usedOne.status).toBe(409);
    const unknown = await api<ErrorAnswer>(
      owner,
      'DELETE',
      `/workspaces/${team.id}/invitations/inv_nope`,
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('invitation_not_found');
  });

  it('a member can neither list nor revoke them, and a stranger is told the workspace does not exist', async () => {
    const team = await createTeam(owner, 'Guarded');
    const member = await memberWith(team.id, 'member');
    const pending = await invite(owner, team.id, { email: newEmail() });

    const list = await api<ErrorAnswer>(member, 'GET', `/workspaces/${team.id}/invitations`);
    expect(list.status).toBe(403);
    expect(list.body.error).toEqual({
      code: 'forbidden',
      message: 'This needs the admin role in the workspace; you are member.',
    });
    const revoke = await api<ErrorAnswer>(
      member,
      'DELETE',
      `/workspaces/${team.id}/invitations/${pending.id}`,
    );
    expect(revoke.status).toBe(403);
    expect(revoke.body.error.code).toBe('forbidden');
    expect((await auditActions(team.id)).filter((a) => a === 'access.denied')).toHaveLength(2);

    const stranger = await memberWith((await createTeam(owner, 'Next door')).id, 'admin');
    const hidden = await api<ErrorAnswer>(stranger, 'GET', `/workspaces/${team.id}/invitations`);
    expect(hidden.status).toBe(404);
    const hiddenRevoke = await api<ErrorAnswer>(
      stranger,
      'DELETE',
      `/workspaces/${team.id}/invitations/${pending.id}`,
    );
    expect(hiddenRevoke.status).toBe(404);
    const still = await api<WorkspaceInvitationList>(
      owner,
      'GET',
      `/workspaces/${team.id}/invitations`,
    );
    expect(still.body.invitations.find((i) => i.id === pending.id)?.status).toBe('pending');
  });
});

describe('members', () => {
  it('the last owner can neither leave nor be demoted; with a second owner they can', async () => {
    const team = await createTeam(owner, 'Owners');
    const admin = await memberWith(team.id, 'admin');
    const leave = await api<ErrorAnswer>(
      owner,
      'DELETE',
      `/workspaces/${team.id}/members/${owner.id}`,
    );
    expect(leave.status).toBe(409);
    expect(leave.body.error.code).toBe('last_owner');
    expect(leave.body.error.message).toMatch(/last owner/);
    const demote = await api<ErrorAnswer>(
      owner,
      'PATCH',
      `/workspaces/${team.id}/members/${owner.id}`,
      {
        role: 'admin',
      },
    );
    expect(demote.status).toBe(409);
    expect(demote.body.error.code).toBe('last_owner');

    const byAdmin = await api<ErrorAnswer>(
      admin,
      'PATCH',
      `/workspaces/${team.id}/members/${admin.id}`,
      {
        role: 'owner',
      },
    );
    expect(byAdmin.status).toBe(403);
    const promoted = await api(owner, 'PATCH', `/workspaces/${team.id}/members/${admin.id}`, {
      role: 'owner',
    });
    expect(promoted.status).toBe(200);
    expect((await api(owner, 'DELETE', `/workspaces/${team.id}/members/${owner.id}`)).status).toBe(
      204,
    );
    expect((await api(owner, 'GET', `/workspaces/${team.id}`)).status).toBe(404);
    expect(await auditActions(team.id)).toEqual(
      expect.arrayContaining(['workspace.member.role', 'workspace.member.leave']),
    );
  });

  it('an admin removes a member, who loses the workspace at once', async () => {
    const team = await createTeam(owner, 'Removals');
    const member = await memberWith(team.id, 'member');
    const removedByMember = await api(
      member,
      'DELETE',
      `/workspaces/${team.id}/members/${owner.id}`,
    );
    expect(removedByMember.status).toBe(403);
    expect((await api(owner, 'DELETE', `/workspaces/${team.id}/members/${member.id}`)).status).toBe(
      204,
    );
    expect((await api(member, 'GET', `/workspaces/${team.id}/members`)).status).toBe(404);
    expect(await auditActions(team.id)).toContain('workspace.member.remove');
  });
});

describe('repositories and tasks in workspaces', () => {
  it('moving a repository needs admin in both workspaces, and takes its tasks along', async () => {
    const team = await createTeam(owner, 'Movers');
    const repo = await pushedRepo(server.url, owner, 'mover');
    const { task } = await startTask(server.url, owner, {
      repoId: repo.id,
      prompt: 'Move me',
      commands: ['true'],
    });
    const memberTeam = await createTeam(owner, 'Members only');
    const member = await memberWith(memberTeam.id, 'member');
    const refused = await api<ErrorAnswer>(member, 'POST', `/repos/${repo.id}/move`, {
      workspaceId: memberTeam.id,
    });
    expect(refused.status).toBe(404);

    const moved = await api<Repo>(owner, 'POST', `/repos/${repo.id}/move`, {
      workspaceId: team.id,
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.workspaceId).toBe(team.id);
    const scoped = await api<TaskList>(owner, 'GET', `/tasks?workspaceId=${team.id}`);
    expect(scoped.body.tasks.map((t) => [t.id, t.workspaceId, t.workspaceName])).toEqual([
      [task.id, team.id, 'Movers'],
    ]);
    const repos = await api<{ repos: Repo[] }>(owner, 'GET', `/repos?workspaceId=${team.id}`);
    expect(repos.body.repos.map((r) => r.id)).toEqual([repo.id]);
    expect(await auditActions(team.id)).toContain('repo.move');

    const intoMemberTeam = await api<ErrorAnswer>(owner, 'POST', `/repos/${repo.id}/move`, {
      workspaceId: memberTeam.id,
    });
    expect(intoMemberTeam.status).toBe(200);
    await api(owner, 'PATCH', `/workspaces/${memberTeam.id}/members/${member.id}`, {
      role: 'member',
    });
    const back = await api<ErrorAnswer>(member, 'POST', `/repos/${repo.id}/move`, {
      workspaceId: team.id,
    });
    expect(back.status).toBe(403);
    expect(back.body.error.message).toContain('admin');
  });

  it('a viewer lists tasks and their status, but reading the work or changing anything needs member', async () => {
    const team = await createTeam(owner, 'Watched');
    const repo = await pushedRepo(server.url, owner, 'watched');
    await api(owner, 'POST', `/repos/${repo.id}/move`, { workspaceId: team.id });
    const { task } = await startTask(server.url, owner, {
      repoId: repo.id,
      prompt: 'Watch me',
      commands: ['true'],
    });
    const viewer = await memberWith(team.id, 'viewer');
    const stranger = await memberWith((await createTeam(owner, 'Away')).id, 'member');

    expect((await api<TaskList>(viewer, 'GET', '/tasks')).body.tasks.map((t) => t.id)).toEqual([
      task.id,
    ]);
    expect((await api(viewer, 'GET', `/tasks/${task.id}`)).status).toBe(200);
    expect((await api(viewer, 'GET', `/repos/${repo.id}/board`)).status).toBe(200);

    const reads = [
      `/tasks/${task.id}/events`,
      `/tasks/${task.id}/diff`,
      `/tasks/${task.id}/patch`,
      `/tasks/${task.id}/files`,
      `/tasks/${task.id}/files/content?path=README.md`,
      `/tasks/${task.id}/runs`,
      `/tasks/${task.id}/stream`,
      `/repos/${repo.id}/branches`,
      `/repos/${repo.id}/commits`,
      `/repos/${repo.id}/clone-url`,
    ];
    const writes: [string, string, unknown][] = [
      ['POST', `/tasks/${task.id}/messages`, { text: 'hi' }],
      ['POST', `/tasks/${task.id}/cancel`, undefined],
      ['POST', `/tasks/${task.id}/approve`, undefined],
      ['POST', `/tasks/${task.id}/retry`, undefined],
      ['PATCH', `/tasks/${task.id}`, { title: 'x' }],
      ['DELETE', `/tasks/${task.id}`, undefined],
      ['POST', '/tasks', { repoId: repo.id, prompt: 'no', commands: ['true'] }],
      ['PATCH', `/repos/${repo.id}`, { description: 'x' }],
    ];
    for (const [method, path, body] of [
      ...reads.map((p) => ['GET', p, undefined] as const),
      ...writes,
    ]) {
      const asViewer = await api<ErrorAnswer>(viewer, method, path, body);
      expect(asViewer.status, `${method} ${path}`).toBe(403);
      expect(asViewer.body.error.code).toBe('forbidden');
      expect(asViewer.body.error.message, `${method} ${path}`).toMatch(
        /needs the (member|admin) role/,
      );
      const asStranger = await api<ErrorAnswer>(stranger, method, path, body);
      expect(asStranger.status, `${method} ${path}`).toBe(404);
    }

    const clone = await git(['ls-remote', authedUrl(repo.cloneUrl, viewer.token)]);
    expect(clone.code).not.toBe(0);
    const [entry] = await server.database.db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(and(eq(auditLog.workspaceId, team.id), eq(auditLog.action, 'repo.move')));
    expect(entry).toBeDefined();
  });
});
