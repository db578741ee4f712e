/**
 * The fold of a task's live stream: events each once and in order, drafts that grow only from
 * where they end, replaced by the stored answer; and what the page derives from it.
 */
import { describe, expect, it } from 'vitest';
import type { EventBody, LiveMessage, TaskEvent } from '@lucid/contracts';
import { foldLive, initialLiveState, type LiveState } from '../src/features/tasks/live/fold.ts';
import {
  chatItems,
  endedWithoutChanges,
  lastPullRequest,
  pullRequestLabel,
  terminalChunks,
} from '../src/features/tasks/live/view.ts';

/** The escape sequences that colour terminal text. */
const ansiStyle = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

function event(seq: number, body: EventBody, runId: string | null = 'r1'): LiveMessage {
  const stored = { taskId: 't1', seq, runId, at: '2026-01-01T00:00:00.000Z', ...body };
  return { kind: 'event', event: stored as TaskEvent };
}

function fold(messages: LiveMessage[], state: LiveState = initialLiveState): LiveState {
  return messages.reduce(foldLive, state);
}

describe('foldLive', () => {
  it('keeps each stored event once, in sequence order, whatever order they come in', () => {
    const state = fold([
      event(1, { type: 'message.user', text: 'hi' }),
      event(3, { type: 'run.status', status: 'running' }),
      event(2, { type: 'task.status', status: 'queued' }),
      event(3, { type: 'run.status', status: 'running' }),
      event(1, { type: 'message.user', text: 'hi' }),
    ]);
    expect(state.events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(state.lastSeq).toBe(3);
  });

  it('returns the same state for an event already held', () => {
    const state = fold([event(1, { type: 'message.user', text: 'hi' })]);
    expect(foldLive(state, event(1, { type: 'message.user', text: 'hi' }))).toBe(state);
  });

  it('grows a draft only by deltas that start where it ends', () => {
    const state = fold([
      { kind: 'delta', runId: 'r1', offset: 0, text: 'Hel' },
      { kind: 'delta', runId: 'r1', offset: 3, text: 'lo' },
      { kind: 'delta', runId: 'r1', offset: 3, text: 'lo' },
      { kind: 'delta', runId: 'r1', offset: 9, text: 'gap' },
      { kind: 'delta', runId: 'r2', offset: 0, text: 'Other' },
    ]);
    expect(state.drafts).toEqual({ r1: 'Hello', r2: 'Other' });
  });

  it('takes a draft sent on connecting, then continues it', () => {
    const state = fold([
      { kind: 'delta', runId: 'r1', offset: 0, text: 'He' },
      { kind: 'draft', runId: 'r1', text: 'Hello, wor' },
      { kind: 'delta', runId: 'r1', offset: 10, text: 'ld' },
    ]);
    expect(state.drafts.r1).toBe('Hello, world');
  });

  it("replaces a run's draft by its stored answer, and starts the next step's draft afresh", () => {
    let state = fold([
      { kind: 'draft', runId: 'r1', text: 'Hello' },
      { kind: 'draft', runId: 'r2', text: 'Other run' },
      event(4, { type: 'message.assistant', text: 'Hello, world' }),
    ]);
    expect(state.drafts).toEqual({ r2: 'Other run' });
    state = fold([{ kind: 'delta', runId: 'r1', offset: 5, text: ' late' }], state);
    expect(state.drafts.r1).toBeUndefined();
    state = fold([{ kind: 'delta', runId: 'r1', offset: 0, text: 'Next' }], state);
    expect(state.drafts.r1).toBe('Next');
    expect(chatItems(state).filter((item) => item.kind === 'assistant')).toHaveLength(1);
  });

  it("drops a run's draft when the run ends without a stored answer", () => {
    const state = fold([
      { kind: 'draft', runId: 'r1', text: 'Half an answ' },
      event(5, { type: 'run.status', status: 'cancelled' }),
    ]);
    expect(state.drafts).toEqual({});
  });

  it('after a reconnect that repeats events and sends the draft again, nothing is doubled', () => {
    const before = fold([
      event(1, { type: 'message.user', text: 'Write it' }),
      event(2, { type: 'message.assistant', text: 'First step.' }),
      { kind: 'delta', runId: 'r1', offset: 0, text: 'Second' },
    ]);
    const after = fold(
      [
        event(2, { type: 'message.assistant', text: 'First step.' }),
        { kind: 'draft', runId: 'r1', text: 'Second step' },
        { kind: 'delta', runId: 'r1', offset: 11, text: '.' },
        event(3, { type: 'message.assistant', text: 'Second step.' }),
      ],
      before,
    );
    const texts = chatItems(after).map((item) => ('text' in item ? item.text : item.kind));
    expect(texts).toEqual(['Write it', 'First step.', 'Second step.']);
  });
});

describe('chatItems and terminalChunks', () => {
  it('says a stop once, calmly, for the run and the task alike', () => {
    const state = fold([
      event(1, { type: 'message.user', text: 'Wait a minute' }),
      event(2, { type: 'run.status', status: 'running' }),
      event(3, { type: 'run.status', status: 'cancelled', reason: 'The run was stopped.' }),
      event(4, { type: 'task.status', status: 'cancelled', reason: 'The run was stopped.' }),
    ]);
    expect(chatItems(state).map((item) => item.kind)).toEqual(['user', 'run', 'stopped']);
    expect(chatItems(state).at(-1)).toEqual({
      kind: 'stopped',
      seq: 3,
      at: '2026-01-01T00:00:00.000Z',
    });
  });

  const state = fold([
    event(1, { type: 'message.user', text: 'Run the tests' }),
    event(2, { type: 'tool.call', tool: 'bash', input: { command: 'npm test' } }),
    event(3, { type: 'tool.output', stream: 'stdout', chunk: 'ok 1\nok 2\n' }),
    event(4, { type: 'tool.output', stream: 'stderr', chunk: 'warn\n' }),
    event(5, { type: 'tool.result', ok: false, exitCode: 1 }),
    event(6, { type: 'tool.call', tool: 'read_file', input: { path: 'a.txt' } }),
    event(7, { type: 'tool.output', stream: 'stdout', chunk: 'contents' }),
    event(8, { type: 'tool.result', ok: true }),
    event(9, { type: 'error', code: 'agent_failed', message: 'The model refused.' }),
  ]);

  it('folds output and result into their tool card', () => {
    const tools = chatItems(state).filter((item) => item.kind === 'tool');
    expect(tools).toMatchObject([
      { tool: 'bash', output: 'ok 1\nok 2\nwarn\n', result: { ok: false, exitCode: 1 } },
      { tool: 'read_file', output: 'contents', result: { ok: true } },
    ]);
    expect(chatItems(state).at(-1)).toMatchObject({ kind: 'error', message: 'The model refused.' });
  });

  it("puts a step's text before the tool calls of that step", () => {
    const step = fold([
      event(1, { type: 'message.user', text: 'Go' }),
      event(2, { type: 'usage', model: 'm', inputTokens: 1, outputTokens: 1, costUsd: 0 }),
      event(3, { type: 'tool.call', tool: 'write_file', input: { path: 'a' } }),
      event(4, { type: 'tool.result', ok: true }),
      event(5, { type: 'message.assistant', text: 'I will write a.' }),
      event(6, { type: 'usage', model: 'm', inputTokens: 1, outputTokens: 1, costUsd: 0 }),
      event(7, { type: 'tool.call', tool: 'bash', input: { command: 'ls' } }),
      event(8, { type: 'message.assistant', text: 'Listed.' }),
    ]);
    expect(chatItems(step).map((item) => ('text' in item ? item.text : item.kind))).toEqual([
      'Go',
      'I will write a.',
      'tool',
      'Listed.',
      'tool',
    ]);
  });

  it('shows each shell command as a $ line followed by its output, and nothing of other tools', () => {
    const text = terminalChunks(state.events)
      .map((chunk) => chunk.text)
      .join('')
      .replace(ansiStyle, '');
    expect(text).toBe('$ npm test\r\nok 1\r\nok 2\r\nwarn\r\n[exit 1]\r\n');
  });
});

describe('pull requests in the conversation', () => {
  it('shows the upstream push and the request opened, then updated, with their links', () => {
    const state = fold([
      event(1, { type: 'git.push', branch: 'lucid/fix', sha: 'a'.repeat(40) }),
      event(2, {
        type: 'upstream.push',
        provider: 'github',
        branch: 'lucid/fix',
        sha: 'a'.repeat(40),
      }),
      event(3, {
        type: 'pr.opened',
        provider: 'github',
        url: 'https://gh.test/o/r/pull/7',
        number: 7,
      }),
      event(4, {
        type: 'pr.updated',
        provider: 'github',
        url: 'https://gh.test/o/r/pull/7',
        number: 7,
      }),
    ]);
    expect(chatItems(state).map((item) => item.kind)).toEqual(['push', 'upstream', 'pr', 'pr']);
    expect(chatItems(state).slice(2)).toMatchObject([
      { url: 'https://gh.test/o/r/pull/7', number: 7, updated: false },
      { url: 'https://gh.test/o/r/pull/7', number: 7, updated: true },
    ]);
    expect(lastPullRequest(state.events)).toEqual({
      provider: 'github',
      url: 'https://gh.test/o/r/pull/7',
      number: 7,
    });
  });

  it('names GitLab merge requests as GitLab does', () => {
    expect(pullRequestLabel({ provider: 'gitlab', number: 3 })).toBe('merge request !3');
    expect(pullRequestLabel({ provider: 'github', number: 3 })).toBe('pull request #3');
    expect(lastPullRequest([])).toBeNull();
  });
});

describe('a run that made no changes', () => {
  it('is told by the newest task status, until a later one moves the task on', () => {
    const noChanges = fold([
      event(1, { type: 'message.user', text: 'Is the README fine?' }),
      event(2, { type: 'message.assistant', text: 'It is; nothing to change.' }),
      event(3, { type: 'run.status', status: 'succeeded' }),
      event(4, {
        type: 'task.status',
        status: 'todo',
        reason: 'The agent made no changes; nothing was pushed.',
        noChanges: true,
      }),
    ]);
    expect(endedWithoutChanges(noChanges.events)).toBe(true);
    const queuedAgain = fold([event(5, { type: 'task.status', status: 'queued' })], noChanges);
    expect(endedWithoutChanges(queuedAgain.events)).toBe(false);
    const sentBack = fold([event(1, { type: 'task.status', status: 'todo' })]);
    expect(endedWithoutChanges(sentBack.events)).toBe(false);
  });
});
