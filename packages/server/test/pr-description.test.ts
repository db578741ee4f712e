/**
 * The pull or merge request's title and body, written from the task and its events.
 */
import { expect, it } from 'vitest';
import type { EventBody, TaskEvent } from '@lucid/contracts';
import { commandsRun, describePullRequest } from '../src/forges/pr-description.ts';

let seq = 0;
function event(body: EventBody, runId = 'run_2'): TaskEvent {
  seq += 1;
  return { taskId: 'task_1', seq, runId, at: '2026-01-01T00:00:00.000Z', ...body } as TaskEvent;
}

const task = {
  id: 'task_1',
  title: 'Fix the parser',
  prompt: 'The parser drops the last line.\nFix it.',
  branch: 'lucid/fix-the-parser-abc',
  baseBranch: 'main',
  issue: 12,
};

it('says what was asked, what the agent did, its commits and its commands with their exit codes', () => {
  const earlier = [
    event({ type: 'tool.call', tool: 'bash', input: { command: 'npm ci' } }, 'run_1'),
    event({ type: 'tool.result', ok: true, exitCode: 0 }, 'run_1'),
    event({ type: 'git.commit', sha: 'a'.repeat(40), subject: 'First try' }, 'run_1'),
  ];
  const latest = [
    event({ type: 'message.assistant', text: 'Looking.' }),
    event({ type: 'tool.call', tool: 'read_file', input: { path: 'src/parse.ts' } }),
    event({ type: 'tool.result', ok: true }),
    event({ type: 'tool.call', tool: 'bash', input: { command: 'npm test' } }),
    event({ type: 'tool.output', stream: 'stdout', chunk: 'FAIL' }),
    event({ type: 'tool.result', ok: false, exitCode: 1 }),
    event({ type: 'tool.call', tool: 'bash', input: { command: 'npm test -- --run `x`' } }),
    event({ type: 'tool.result', ok: true, exitCode: 0 }),
    event({ type: 'message.assistant', text: 'The last line is kept now; tests pass.' }),
    event({ type: 'git.commit', sha: 'b'.repeat(40), subject: 'Keep the last line' }),
  ];
  const { title, body } = describePullRequest({
    task,
    events: [...earlier, ...latest],
    runEvents: latest,
    taskUrl: 'https://lucid.test/tasks/task_1',
  });
  expect(title).toBe('Fix the parser');
  expect(body).toContain('> The parser drops the last line.\n> Fix it.');
  expect(body).toContain('Closes #12');
  expect(body).toContain('## Summary\n\nThe last line is kept now; tests pass.');
  expect(body).not.toContain('Looking.');
  expect(body).toContain(`- \`aaaaaaaaaa\` First try\n- \`bbbbbbbbbb\` Keep the last line`);
  expect(body).toContain('- `npm test` → exit 1 ❌');
  expect(body).toContain('- ``npm test -- --run `x` `` → exit 0 ✅');
  expect(body).not.toContain('npm ci');
  expect(body).toContain('Opened by Lucid from [Fix the parser](https://lucid.test/tasks/task_1).');
});

it('pairs each shell command with its own result', () => {
  const events = [
    event({ type: 'tool.call', tool: 'bash', input: { command: 'sleep 999' } }),
    event({ type: 'tool.result', ok: false, exitCode: null, timedOut: true }),
    event({ type: 'tool.call', tool: 'write_file', input: { path: 'a' } }),
    event({ type: 'tool.result', ok: true }),
  ];
  expect(commandsRun(events)).toEqual([{ command: 'sleep 999', exitCode: null, timedOut: true }]);
});

it('stays within what forges accept', () => {
  const { body } = describePullRequest({
    task: { ...task, prompt: 'x'.repeat(200_000) },
    events: [event({ type: 'message.assistant', text: 'y'.repeat(200_000) })],
    runEvents: [],
    taskUrl: 'https://lucid.test/tasks/task_1',
  });
  expect(body.length).toBeLessThanOrEqual(60_000);
});
