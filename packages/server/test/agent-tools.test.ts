/**
 * The built-in agent's file tools cap what one call answers the model, keeping whole lines from
 * the head and the tail and saying in their place what was cut and how to see it.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Tool } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventBody } from '@lucid/contracts';
import { MAX_TOOL_OUTPUT } from '../src/agent/tool.ts';
import { MAX_LINE_CHARS } from '../src/agent/tools/head-and-tail.ts';
import { bindTools } from '../src/agent/tools/index.ts';
import { startSpawnHost, stopSpawnHost } from '../src/process/spawn.ts';
import type { Sandbox } from '../src/sandbox/driver.ts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';

let sandbox: Sandbox;
let tools: Record<string, Tool>;
const events: EventBody[] = [];

beforeAll(async () => {
  await startSpawnHost();
  const driver = new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-tools-')) });
  sandbox = await driver.create({
    labels: { 'lucid.test': 'agent-tools' },
    limits: { memoryBytes: 1024 ** 3, cpus: 1, pids: 256 },
    network: 'none',
  });
  tools = bindTools({
    sandbox,
    shell: () => sandbox.shell(),
    emit: (event) => events.push(event),
    signal: new AbortController().signal,
    secrets: [],
    finish: () => {},
  });
  const lines = Array.from({ length: 5_000 }, (_, i) => `line ${i + 1} ${'•'.repeat(20)}`);
  await sandbox.writeFile('/workspace/big.txt', `${lines.join('\n')}\n`);
  await sandbox.writeFile('/workspace/wide.txt', `${'w'.repeat(50_000)}\nshort\n`);
  await sandbox.exec([
    'bash',
    '-c',
    'mkdir -p /workspace/many && cd /workspace/many && for i in $(seq -w 0 1899); do : > "a-long-file-name-$i.txt"; done',
  ]);
});
afterAll(async () => {
  await sandbox?.remove();
  await stopSpawnHost();
});

async function call(name: string, input: Record<string, unknown>): Promise<string> {
  const output: unknown = await tools[name]!.execute!(input, {
    toolCallId: 'call-1',
    messages: [],
  });
  return String(output);
}

describe('the file tools’ output caps', () => {
  it('read_file keeps the first and last lines and names the lines cut with the range to read', async () => {
    const text = await call('read_file', { path: 'big.txt', limit: 5_000 });
    expect(text.length).toBeLessThanOrEqual(MAX_TOOL_OUTPUT);
    expect(text).toMatch(/^1\tline 1 /);
    expect(text).toMatch(/\n5000\tline 5000 •+$/);
    const note =
      /\[… lines (\d+)–(\d+) cut \((\d+) lines, too long for one answer\): read them with offset (\d+) and limit (\d+), or a smaller range …\]/.exec(
        text,
      );
    expect(note).not.toBeNull();
    const [first, last, count, offset, limit] = note!.slice(1).map(Number);
    expect(count).toBe(last! - first! + 1);
    expect([offset, limit]).toEqual([first, count]);
    // Whole lines on both sides of the note: the line before it is first - 1, after it last + 1.
    expect(text).toContain(`\n${first! - 1}\tline ${first! - 1} `);
    expect(text).toContain(`\n${last! + 1}\tline ${last! + 1} `);
    expect(text).not.toContain('output truncated');

    const range = await call('read_file', { path: 'big.txt', offset: first, limit: 10 });
    expect(range.split('\n')[0]).toBe(`${first}\tline ${first} ${'•'.repeat(20)}`);
  });

  it('read_file keeps the start of a very long line and says how much of it was cut', async () => {
    const text = await call('read_file', { path: 'wide.txt' });
    expect(text).toContain(
      `1\t${'w'.repeat(MAX_LINE_CHARS - 2)} […${50_000 + 2 - MAX_LINE_CHARS} more characters on this line]`,
    );
    expect(text).toContain('\n2\tshort');
  });

  it('search keeps the first and last matches and says how many were cut', async () => {
    const text = await call('search', { pattern: 'line [0-9]+ ', path: 'big.txt' });
    expect(text.length).toBeLessThanOrEqual(MAX_TOOL_OUTPUT);
    expect(text).toMatch(/^big\.txt:1:line 1 /);
    expect(text).toMatch(/big\.txt:5000:line 5000 •+$/);
    const cut =
      /\[… (\d+) matching lines cut here: search a narrower path or a more specific pattern, or read a file's lines with read_file …\]/.exec(
        text,
      );
    expect(cut).not.toBeNull();
    const shown = text.split('\n').filter((line) => line.startsWith('big.txt:')).length;
    expect(shown + Number(cut![1])).toBe(5_000);
  });

  it('list_files keeps the first and last entries and says how many were cut', async () => {
    const text = await call('list_files', { path: 'many' });
    expect(text.length).toBeLessThanOrEqual(MAX_TOOL_OUTPUT);
    const cut = /\[… (\d+) entries cut here: list a subfolder with path to see them …\]/.exec(text);
    expect(cut).not.toBeNull();
    const shown = text.split('\n').filter((line) => line.startsWith('many/'));
    expect(shown.length + Number(cut![1])).toBe(1_900);
    expect(shown[0]).toBe('many/a-long-file-name-0000.txt');
    expect(shown.at(-1)).toBe('many/a-long-file-name-1899.txt');
  });
});
