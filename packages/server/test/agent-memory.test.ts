/**
 * The built-in agent remembers a task's earlier runs: a follow-up run's first model request holds
 * the earlier run's tool calls and their results, in each wire format the agent speaks, in the
 * order they happened among the user's messages, with secrets masked as they were when recorded.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runs, tasks, trajectorySteps } from '../src/db/schema.ts';
import { newId } from '../src/ids.ts';
import { appendEvents } from '../src/tasks/events.ts';
import { historyBefore, rememberRun } from '../src/tasks/trajectory.ts';
import { type LocalDriver } from '../src/sandbox/local/local-driver.ts';
import type { FakeLlm, RecordedRequest } from './fakes/llm/index.ts';
import { startAgentServer, type AgentServer } from './support/agent-server.ts';
import { request, type TestUser } from './support/client.ts';
import { taskEvents, waitForStatus } from './support/tasks.ts';
import type { TestServer } from './support/test-server.ts';

let llm: FakeLlm;
let server: TestServer;
let driver: LocalDriver;
let user: TestUser;
let repoId: string;
let testbed: AgentServer;

beforeAll(async () => {
  testbed = await startAgentServer({
    repo: 'memory-repo',
    keys: {
      anthropic: 'sk-ant-memory-0123456789',
      openai: 'sk-oa-memory-0123456789',
      compatible: 'sk-c-memory-0123456789',
      gemini: 'gm-memory-0123456789',
    },
  });
  ({ llm, server, driver, user, repoId } = testbed);
});
afterAll(() => testbed.close());
beforeEach(() => llm.reset());

const modelRequests = () => testbed.modelRequests();

async function agentTask(prompt: string, model: string): Promise<string> {
  const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
    token: user.token,
    json: { repoId, prompt, model },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.task.id;
}

/** A run that changes no file leaves its task in To Do, where a follow-up starts a new run. */
async function settled(taskId: string): Promise<void> {
  const done = await waitForStatus(server.url, user, taskId, ['todo', 'in_review', 'failed']);
  const events = await taskEvents(server.url, user, taskId);
  expect(done.status, JSON.stringify(events.filter((e) => e.type === 'error'))).toBe('todo');
}

async function followUp(taskId: string, text: string): Promise<void> {
  const posted = await request<{ delivery: string }>(
    server.url,
    'POST',
    `/api/v1/tasks/${taskId}/messages`,
    { token: user.token, json: { text } },
  );
  expect(posted.status).toBe(202);
  expect(posted.body.delivery).toBe('new_run');
}

/**
 * The earlier run's tool call (`name` with `input`) and its result holding `output`, as the
 * request's wire format says them, each call matched to its result by the format's own link.
 */
type Exchange = { name: string; input: Record<string, unknown>; output: string };

/** The conversation of a request as role/kind lines, in order, in each provider's own shape. */
function transcript(req: RecordedRequest): { lines: string[]; exchanges: Exchange[] } {
  const body = req.body as Record<string, unknown>;
  const lines: string[] = [];
  const exchanges: Exchange[] = [];
  const calls = new Map<string, { name: string; input: Record<string, unknown> }>();
  const answered = (id: string, output: string) => {
    const call = calls.get(id);
    expect(call, `a result for ${id} follows its call`).toBeDefined();
    if (call) exchanges.push({ ...call, output });
  };
  if (req.protocol === 'anthropic') {
    type Block = Record<string, unknown> & { type: string };
    for (const message of body.messages as Array<{ role: string; content: string | Block[] }>) {
      const blocks: Block[] =
        typeof message.content === 'string'
          ? [{ type: 'text', text: message.content }]
          : message.content;
      for (const block of blocks) {
        if (block.type === 'text') lines.push(`${message.role}: ${String(block.text)}`);
        if (block.type === 'tool_use') {
          calls.set(String(block.id), {
            name: String(block.name),
            input: block.input as Record<string, unknown>,
          });
          lines.push(`${message.role}: call ${String(block.name)}`);
        }
        if (block.type === 'tool_result') {
          const content = block.content as string | Array<{ text: string }>;
          answered(
            String(block.tool_use_id),
            typeof content === 'string' ? content : content.map((c) => c.text).join(''),
          );
          lines.push(`${message.role}: result`);
        }
      }
    }
  } else if (req.protocol === 'openai-responses') {
    for (const item of body.input as Array<Record<string, unknown>>) {
      if (item.type === 'function_call') {
        calls.set(String(item.call_id), {
          name: String(item.name),
          input: JSON.parse(String(item.arguments)) as Record<string, unknown>,
        });
        lines.push(`assistant: call ${String(item.name)}`);
      } else if (item.type === 'function_call_output') {
        answered(String(item.call_id), String(item.output));
        lines.push('tool: result');
      } else if (item.role === 'user' || item.role === 'assistant') {
        const content = item.content as string | Array<{ text: string }>;
        const text = typeof content === 'string' ? content : content.map((c) => c.text).join('');
        lines.push(`${String(item.role)}: ${text}`);
      }
    }
  } else if (req.protocol === 'openai-chat') {
    type ChatMessage = {
      role: string;
      content: string | null;
      tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>;
      tool_call_id?: string;
    };
    for (const message of body.messages as ChatMessage[]) {
      if (message.role === 'system') continue;
      if (message.role === 'tool') {
        answered(String(message.tool_call_id), String(message.content));
        lines.push('tool: result');
        continue;
      }
      if (message.content) lines.push(`${message.role}: ${message.content}`);
      for (const call of message.tool_calls ?? []) {
        calls.set(call.id, {
          name: call.function.name,
          input: JSON.parse(call.function.arguments) as Record<string, unknown>,
        });
        lines.push(`${message.role}: call ${call.function.name}`);
      }
    }
  } else {
    // Gemini links a result to its call by position: the function response after the call.
    type Part = {
      text?: string;
      functionCall?: { name: string; args: Record<string, unknown> };
      functionResponse?: { name: string; response: Record<string, unknown> };
    };
    let pending = 0;
    for (const content of body.contents as Array<{ role: string; parts: Part[] }>) {
      for (const part of content.parts) {
        if (part.text !== undefined) lines.push(`${content.role}: ${part.text}`);
        if (part.functionCall) {
          calls.set(String((pending += 1)), {
            name: part.functionCall.name,
            input: part.functionCall.args,
          });
          lines.push(`${content.role}: call ${part.functionCall.name}`);
        }
        if (part.functionResponse) {
          const output = part.functionResponse.response.content;
          answered(String(pending), typeof output === 'string' ? output : JSON.stringify(output));
          lines.push(`${content.role}: result`);
        }
      }
    }
  }
  return { lines, exchanges };
}

describe.each([
  { model: 'anthropic/claude-sonnet-4-5', protocol: 'anthropic' },
  { model: 'openai/gpt-5', protocol: 'openai-responses' },
  { model: 'openai-chat/gpt-4.1', protocol: 'openai-chat' },
  { model: 'gemini/gemini-2.5-pro', protocol: 'gemini' },
])('a follow-up run of the lucid agent on $model', ({ model, protocol }) => {
  it('gets the earlier run’s tool calls and results in its first model request', async () => {
    llm.script([
      {
        text: 'Let me look.',
        toolCalls: [{ name: 'bash', input: { command: 'echo remembered-$((6 * 7))' } }],
      },
      { toolCalls: [{ name: 'read_file', input: { path: 'README.md' } }] },
      { text: 'The command printed remembered-42.' },
    ]);
    const id = await agentTask('Run the check', model);
    await settled(id);
    expect(modelRequests()).toHaveLength(3);
    expect(modelRequests().every((r) => r.protocol === protocol)).toBe(true);

    llm.script([{ text: 'It printed remembered-42.' }]);
    await followUp(id, 'What did the command print?');
    await settled(id);
    const first = modelRequests()[3];
    expect(first).toBeDefined();
    const { lines, exchanges } = transcript(first!);

    expect(exchanges).toHaveLength(2);
    expect(exchanges[0]).toMatchObject({
      name: 'bash',
      input: { command: 'echo remembered-$((6 * 7))' },
    });
    expect(exchanges[0]?.output).toContain('remembered-42');
    expect(exchanges[0]?.output).toContain('[exit code 0]');
    expect(exchanges[1]).toMatchObject({ name: 'read_file', input: { path: 'README.md' } });
    expect(exchanges[1]?.output).toMatch(/^1\t/);

    const said = (text: string) => lines.findIndex((line) => line.endsWith(text));
    const order = [
      said('Run the check'),
      said('Let me look.'),
      lines.findIndex((line) => line.endsWith('call bash')),
      lines.findIndex((line) => line.endsWith('call read_file')),
      said('The command printed remembered-42.'),
      said('What did the command print?'),
    ];
    expect(
      order.every((at) => at >= 0),
      lines.join('\n'),
    ).toBe(true);
    expect(
      [...order].sort((a, b) => a - b),
      lines.join('\n'),
    ).toEqual(order);
    // Each step comes once: its answer is not repeated beside it as plain text.
    expect(lines.filter((line) => line.endsWith('Let me look.'))).toHaveLength(1);
    expect(lines.at(-1)).toMatch(/What did the command print\?$/);
  });
});

describe('the agent’s memory', () => {
  it('places a step after the follow-up it had read, and keeps secrets masked as recorded', async () => {
    llm.script([
      {
        text: 'Waiting for the go.',
        toolCalls: [
          {
            name: 'bash',
            input: {
              command: 'while [ ! -f /tmp/go ]; do sleep 0.1; done; cat .git/lucid-credentials',
            },
          },
        ],
      },
      { text: 'Answering the follow-up.' },
    ]);
    const id = await agentTask(
      'Wait, then show the credentials file',
      'anthropic/claude-sonnet-4-5',
    );
    for (;;) {
      const events = await taskEvents(server.url, user, id);
      if (events.some((e) => e.type === 'tool.call')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const posted = await request<{ delivery: string }>(
      server.url,
      'POST',
      `/api/v1/tasks/${id}/messages`,
      { token: user.token, json: { text: 'Also say hello.' } },
    );
    expect(posted.body.delivery).toBe('next_step');
    const [task] = await server.database.db.select().from(tasks).where(eq(tasks.id, id));
    const sandbox = await driver.get(task?.sandboxId ?? '');
    await sandbox?.exec(['touch', '/tmp/go']);
    await settled(id);

    llm.script([{ text: 'Done.' }]);
    await followUp(id, 'Anything else?');
    await settled(id);
    const { lines, exchanges } = transcript(modelRequests().at(-1)!);
    // The follow-up came while the first step ran: the second step had read it, the first had not.
    expect(lines).toEqual([
      'user: Wait, then show the credentials file',
      'assistant: Waiting for the go.',
      'assistant: call bash',
      'user: result',
      'user: Also say hello.',
      'assistant: Answering the follow-up.',
      'user: Anything else?',
    ]);
    expect(exchanges[0]?.output).toContain('Authorization: Basic [redacted]');
    expect(exchanges[0]?.output).not.toMatch(/Basic [A-Za-z0-9+/=]{8,}/);
    const stored = await server.database.db
      .select()
      .from(trajectorySteps)
      .where(eq(trajectorySteps.taskId, id));
    expect(JSON.stringify(stored)).not.toMatch(/Basic [A-Za-z0-9+/=]{8,}/);
    // Two steps of the first run, one of the follow-up's.
    expect(stored.map((step) => step.step).sort()).toEqual([1, 1, 2]);
  });
});

describe('the history a run is given', () => {
  it('drops the oldest runs first, whole steps only, and starts with a user message', async () => {
    const { db } = server.database;
    const created = await request<{ task: { id: string } }>(server.url, 'POST', '/api/v1/tasks', {
      token: user.token,
      json: { repoId, prompt: 'Long work', start: false },
    });
    const taskId = created.body.task.id;
    const big = 'x'.repeat(30_000);
    let prompt = 0;
    for (const round of [1, 2, 3]) {
      const [message] = await appendEvents(db, {
        taskId,
        runId: null,
        events: [{ type: 'message.user', text: `Round ${round}` }],
      });
      prompt = message!.seq;
      const runId = newId('run');
      await db.insert(runs).values({
        id: runId,
        taskId,
        status: 'succeeded',
        spec: { commands: [], agent: 'lucid', prompt: `Round ${round}`, promptSeq: prompt },
        createdAt: new Date(Date.now() + round),
      });
      for (const step of [1, 2, 3, 4]) {
        const id = `call-${round}-${step}`;
        await rememberRun(db, {
          runId,
          taskId,
          memory: {
            kind: 'step',
            step,
            afterSeq: prompt,
            messages: [
              {
                role: 'assistant',
                content: [{ type: 'tool-call', toolCallId: id, toolName: 'bash', input: {} }],
              },
              {
                role: 'tool',
                content: [
                  {
                    type: 'tool-result',
                    toolCallId: id,
                    toolName: 'bash',
                    output: { type: 'text', value: big },
                  },
                ],
              },
            ],
          },
        });
      }
    }
    const [next] = await appendEvents(db, {
      taskId,
      runId: null,
      events: [{ type: 'message.user', text: 'Round 4' }],
    });
    const history = await historyBefore(db, { taskId, beforeSeq: next!.seq });

    expect(history[0]).toMatchObject({ role: 'user' });
    const calls = history.flatMap((item) =>
      item.role === 'step'
        ? item.messages.flatMap((m) =>
            m.role === 'assistant'
              ? m.content.map((p) => (p.type === 'tool-call' ? p.toolCallId : ''))
              : [],
          )
        : [],
    );
    const results = history.flatMap((item) =>
      item.role === 'step'
        ? item.messages.flatMap((m) =>
            m.role === 'tool' ? m.content.map((p) => p.toolCallId) : [],
          )
        : [],
    );
    expect(results).toEqual(calls);
    // 200,000 characters hold the last run's four steps and two of round 2's, whose prompt does
    // not fit: those two go too, so that the history starts with a user message.
    expect(calls).toEqual(['call-3-1', 'call-3-2', 'call-3-3', 'call-3-4']);
    expect(history.filter((item) => item.role === 'user')).toEqual([
      { role: 'user', text: 'Round 3' },
    ]);
  });
});
