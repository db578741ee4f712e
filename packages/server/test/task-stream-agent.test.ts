import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FakeLlm } from './fakes/llm/index.ts';
import { startAgentServer, type AgentServer } from './support/agent-server.ts';
import { request, type TestUser } from './support/client.ts';
import { openStream } from './support/stream.ts';
import { taskEvents, waitForStatus } from './support/tasks.ts';
import type { TestServer } from './support/test-server.ts';

let llm: FakeLlm;
let server: TestServer;
let user: TestUser;
let repoId: string;
let testbed: AgentServer;

beforeAll(async () => {
  testbed = await startAgentServer({
    repo: 'stream-agent',
    keys: {
      anthropic: 'sk-ant-stream-test-0123456789',
      openai: 'sk-openai-stream-test-0123456789',
      compatible: 'sk-local-stream-test-0123456789',
    },
  });
  ({ llm, server, user, repoId } = testbed);
});
afterAll(() => testbed.close());

const ANSWER =
  'I read the README first, then the tests, and everything there is already in order, ' +
  'so there is nothing to change in this repository today.';

it("streams the built-in agent's answer live as it is written, and stores it once", async () => {
  // About 50 tokens a second: the answer is still being written when the viewer connects.
  llm.script([{ text: ANSWER, delayMs: 20 }]);
  const created = await request<{ task: { id: string }; run: { id: string } }>(
    server.url,
    'POST',
    '/api/v1/tasks',
    { token: user.token, json: { repoId, prompt: 'Check the repository' } },
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const { task, run } = created.body;
  const viewer = await openStream(server.url, task.id, { token: user.token });
  try {
    await viewer.waitFor((m) => m.kind === 'event' && m.event.type === 'message.assistant');
    expect(viewer.draftText(run.id)).toBe(ANSWER);
    expect(viewer.messages.filter((m) => m.message.kind === 'delta').length).toBeGreaterThan(1);
    const stored = await taskEvents(server.url, user, task.id);
    expect(stored.filter((e) => e.type === 'message.delta')).toEqual([]);
    expect(stored.filter((e) => e.type === 'message.assistant')).toMatchObject([{ text: ANSWER }]);
    await waitForStatus(server.url, user, task.id, ['todo', 'in_review', 'failed']);
  } finally {
    viewer.close();
  }
});

it('never shows a viewer a secret the model streams split across two pieces', async () => {
  const secret = 'sk-ant-stream-test-0123456789';
  llm.script([
    {
      textPieces: ['The key is sk-ant-str', 'eam-test-0123456789', ', and I will not use it.'],
      delayMs: 20,
    },
  ]);
  const created = await request<{ task: { id: string }; run: { id: string } }>(
    server.url,
    'POST',
    '/api/v1/tasks',
    { token: user.token, json: { repoId, prompt: 'Tell me the key' } },
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const { task, run } = created.body;
  const viewer = await openStream(server.url, task.id, { token: user.token });
  try {
    await viewer.waitFor((m) => m.kind === 'event' && m.event.type === 'message.assistant');
    const live = viewer.messages.map((m) => m.message).filter((m) => m.kind !== 'event');
    expect(live.length).toBeGreaterThan(0);
    expect(live.map((m) => m.text).join('')).not.toContain(secret);
    expect(viewer.draftText(run.id)).not.toContain(secret);
    expect(viewer.draftText(run.id)).toContain('The key is [redacted]');
    const stored = await taskEvents(server.url, user, task.id);
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(stored.filter((e) => e.type === 'message.assistant')).toMatchObject([
      { text: 'The key is [redacted], and I will not use it.' },
    ]);
    await waitForStatus(server.url, user, task.id, ['todo', 'in_review', 'failed']);
  } finally {
    viewer.close();
  }
});

it('drops the text of an answer cut before its end from the live view, showing its retry once', async () => {
  llm.script([{ text: ANSWER, delayMs: 20 }]);
  llm.dropStreamAfter(10, { retryAfterMs: 0 });
  const created = await request<{ task: { id: string }; run: { id: string } }>(
    server.url,
    'POST',
    '/api/v1/tasks',
    { token: user.token, json: { repoId, prompt: 'Check the repository again' } },
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const { task, run } = created.body;
  const viewer = await openStream(server.url, task.id, { token: user.token });
  try {
    await viewer.waitFor((m) => m.kind === 'event' && m.event.type === 'message.assistant');
    expect(viewer.draftText(run.id)).toBe(ANSWER);
    const stored = await taskEvents(server.url, user, task.id);
    expect(stored.filter((e) => e.type === 'message.assistant')).toMatchObject([{ text: ANSWER }]);
    await waitForStatus(server.url, user, task.id, ['todo', 'in_review', 'failed']);
  } finally {
    viewer.close();
  }
});
