/**
 * @module agent/system-prompt
 * The built-in agent's system prompt: the text of prompts/system.txt, then what the repository
 * says about itself (AGENTS.md, CLAUDE.md, .lucid/instructions.md and the start of the README),
 * read from the sandbox.
 */
import { readFileSync } from 'node:fs';
import type { Sandbox } from '../sandbox/driver.ts';

const TEMPLATE = readFileSync(new URL('./prompts/system.txt', import.meta.url), 'utf8');

const INSTRUCTION_FILES = ['AGENTS.md', 'CLAUDE.md', '.lucid/instructions.md'];
const README_FILES = ['README.md', 'README', 'readme.md', 'README.rst', 'README.txt'];
const MAX_INSTRUCTIONS = 20_000;
const MAX_README = 3_000;

/**
 * Which of the candidate files exist, asked in one command: each read is a round trip to the
 * sandbox (an exec in a container), and most repositories have one or two of these files.
 */
async function existing(sandbox: Sandbox, names: string[]): Promise<Set<string>> {
  const result = await sandbox.exec(
    [
      'sh',
      '-c',
      'for f in "$@"; do [ -f "$f" ] && printf "%s\\n" "$f"; done; true',
      'sh',
      ...names,
    ],
    { cwd: '/workspace' },
  );
  return new Set(result.stdout.split('\n').filter(Boolean));
}

async function readText(sandbox: Sandbox, name: string): Promise<string | null> {
  try {
    return (await sandbox.readFile(`/workspace/${name}`)).toString('utf8');
  } catch {
    return null;
  }
}

/**
 * @example
 * const system = await systemPrompt(sandbox);
 */
export async function systemPrompt(sandbox: Sandbox): Promise<string> {
  const sections: string[] = [];
  const present = await existing(sandbox, [...INSTRUCTION_FILES, ...README_FILES]);
  for (const name of INSTRUCTION_FILES.filter((n) => present.has(n))) {
    const text = await readText(sandbox, name);
    if (text?.trim()) {
      sections.push(`## Instructions from ${name}\n\n${text.trim().slice(0, MAX_INSTRUCTIONS)}`);
    }
  }
  for (const name of README_FILES.filter((n) => present.has(n))) {
    const text = await readText(sandbox, name);
    if (text?.trim()) {
      const excerpt = text.trim().slice(0, MAX_README);
      const cut = excerpt.length < text.trim().length ? '\n[… the README goes on]' : '';
      sections.push(`## The start of ${name}\n\n${excerpt}${cut}`);
      break;
    }
  }
  const project =
    sections.length > 0 ? `\n# About this repository\n\n${sections.join('\n\n')}\n` : '';
  return TEMPLATE.replace('{{project}}', project);
}
