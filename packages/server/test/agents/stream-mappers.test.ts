/**
 * The CLI agents' stream mappings on fixed input: Cursor's (which cannot be installed here) on a
 * stream in its documented stream-json format, and the failure results of the others.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { EventBody } from '@lucid/contracts';
import { withConversation, type StreamMapper } from '../../src/agent/cli/cli-agent.ts';
import { claudeCodeMapper } from '../../src/agent/cli/claude-code.ts';
import { codexMapper } from '../../src/agent/cli/codex.ts';
import { cursorMapper } from '../../src/agent/cli/cursor.ts';
import { geminiMapper } from '../../src/agent/cli/gemini.ts';
import { opencodeMapper } from '../../src/agent/cli/opencode.ts';

function feed(mapper: StreamMapper, lines: unknown[]): EventBody[] {
  return lines.flatMap((line) => mapper.line(line));
}

describe('the cursor stream mapping', () => {
  it('maps a recorded stream-json run to Lucid events and its outcome', async () => {
    const fixture = await readFile(
      new URL('fixtures/cursor-stream.jsonl', import.meta.url),
      'utf8',
    );
    const mapper = cursorMapper();
    const events = feed(
      mapper,
      fixture
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as unknown),
    );
    expect(events.filter((e) => e.type === 'tool.call')).toEqual([
      {
        type: 'tool.call',
        tool: 'write',
        input: {
          path: '/workspace/hello.txt',
          fileText: 'hello from lucid\n',
          toolCallId: 'toolu_vrtx_01NnjaR886UcE8whekg2MGJd',
        },
      },
      {
        type: 'tool.call',
        tool: 'shell',
        input: expect.objectContaining({ command: expect.stringContaining('TESTS PASS') }),
      },
      {
        type: 'tool.call',
        tool: 'shell',
        input: expect.objectContaining({ command: 'git push origin HEAD:main' }),
      },
      { type: 'tool.call', tool: 'git_commit', input: { message: 'Add hello.txt' } },
    ]);
    expect(events.filter((e) => e.type === 'tool.result')).toEqual([
      { type: 'tool.result', ok: true },
      { type: 'tool.result', ok: true, exitCode: 0 },
      { type: 'tool.result', ok: false, exitCode: 1 },
      { type: 'tool.result', ok: true },
    ]);
    expect(events.filter((e) => e.type === 'tool.output')).toEqual([
      { type: 'tool.output', stream: 'stdout', chunk: 'TESTS PASS\n' },
      {
        type: 'tool.output',
        stream: 'stderr',
        chunk: 'remote: may push only to lucid/add-hello\n',
      },
      { type: 'tool.output', stream: 'stdout', chunk: '[lucid/add-hello 1a2b3c4] Add hello.txt' },
    ]);
    expect(events.filter((e) => e.type === 'message.assistant')).toEqual([
      { type: 'message.assistant', text: 'I will add the greeting file.' },
      { type: 'message.assistant', text: 'Added hello.txt; the test passes.' },
    ]);
    expect(mapper.outcome(0)).toEqual({
      status: 'finished',
      summary: 'I will add the greeting file.Added hello.txt; the test passes.',
    });
  });

  it('has no outcome when the run died without a result line', () => {
    const mapper = cursorMapper();
    feed(mapper, [{ type: 'system', subtype: 'init' }]);
    expect(mapper.outcome(1)).toBeUndefined();
  });
});

describe('failure results', () => {
  it('claude-code: turns run out → step_limit_reached; an error → agent_failed', () => {
    const limited = claudeCodeMapper();
    feed(limited, [{ type: 'result', subtype: 'error_max_turns', is_error: true }]);
    expect(limited.outcome(1)).toMatchObject({
      status: 'stopped',
      error: { code: 'step_limit_reached' },
    });
    const failed = claudeCodeMapper();
    feed(failed, [
      { type: 'result', subtype: 'success', is_error: true, result: 'API Error: 402 over budget' },
    ]);
    expect(failed.outcome(1)).toMatchObject({
      status: 'failed',
      error: { code: 'agent_failed', message: expect.stringContaining('402 over budget') },
    });
  });

  it('codex: turn.failed → agent_failed with its message', () => {
    const mapper = codexMapper();
    feed(mapper, [{ type: 'turn.failed', error: { message: 'unexpected status 402' } }]);
    expect(mapper.outcome(1)).toMatchObject({
      status: 'failed',
      error: { code: 'agent_failed', message: 'Codex failed: unexpected status 402' },
    });
  });

  it('opencode: an error line → agent_failed; a non-zero exit without one → no outcome', () => {
    const failed = opencodeMapper();
    feed(failed, [
      { type: 'error', error: { name: 'APIError', data: { message: 'Over budget' } } },
    ]);
    expect(failed.outcome(0)).toMatchObject({
      status: 'failed',
      error: { message: 'opencode failed: Over budget' },
    });
    expect(opencodeMapper().outcome(2)).toBeUndefined();
  });
});

describe('a CLI agent follow-up prompt', () => {
  it('carries the conversation before it, oldest first, since a CLI starts afresh', () => {
    expect(withConversation('Add a test', [])).toBe('Add a test');
    const prompt = withConversation('Now add a test', [
      { role: 'user', text: 'Add hello.txt' },
      { role: 'assistant', text: 'Added hello.txt.' },
    ]);
    expect(prompt.indexOf('Add hello.txt')).toBeLessThan(prompt.indexOf('Added hello.txt.'));
    expect(prompt.indexOf('Added hello.txt.')).toBeLessThan(prompt.indexOf('Now add a test'));
    expect(prompt.endsWith('Now add a test')).toBe(true);
  });
});

describe('the gemini stream mapping', () => {
  const at = '2026-01-01T00:00:00.000Z';
  const delta = (content: string) => ({
    type: 'message',
    timestamp: at,
    role: 'assistant',
    content,
    delta: true,
  });

  it('joins the text pieces into messages around the tools, and finishes on a success result', () => {
    const mapper = geminiMapper();
    const events = feed(mapper, [
      { type: 'init', timestamp: at, session_id: 's', model: 'gemini-2.5-pro' },
      { type: 'message', timestamp: at, role: 'user', content: 'Add hello.txt' },
      delta('I will'),
      delta(' write it.'),
      {
        type: 'tool_use',
        timestamp: at,
        tool_name: 'run_shell_command',
        tool_id: 'run_shell_command_1',
        parameters: { command: 'false', description: 'test' },
      },
      {
        type: 'tool_result',
        timestamp: at,
        tool_id: 'run_shell_command_1',
        status: 'error',
        error: { type: 'x', message: 'Exit code 1' },
      },
      delta('Done.'),
      { type: 'result', timestamp: at, status: 'success', stats: { total_tokens: 10 } },
    ]);
    expect(events).toEqual([
      { type: 'message.assistant', text: 'I will write it.' },
      {
        type: 'tool.call',
        tool: 'run_shell_command',
        input: { command: 'false', description: 'test' },
      },
      { type: 'tool.output', stream: 'stdout', chunk: 'Exit code 1' },
      { type: 'tool.result', ok: false },
      { type: 'message.assistant', text: 'Done.' },
    ]);
    expect(mapper.outcome(0)).toEqual({ status: 'finished', summary: 'Done.' });
  });

  it('fails on an error result, and decides nothing without a result', () => {
    const failed = geminiMapper();
    feed(failed, [
      {
        type: 'result',
        timestamp: at,
        status: 'error',
        error: { type: 'FatalAuthenticationError', message: 'API key not valid.' },
      },
    ]);
    expect(failed.outcome(1)).toEqual({
      status: 'failed',
      error: { code: 'agent_failed', message: 'gemini failed: API key not valid.' },
    });
    expect(geminiMapper().outcome(1)).toBeUndefined();
  });
});
