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
  for (const name of INSTRUCTION_FILES) {
    const text = await readText(sandbox, name);
    if (text?.trim()) {
      sections.push(`## Instructions from ${name}\n\n${text.trim().slice(0, MAX_INSTRUCTIONS)}`);
    }
  }
  for (const name of README_FILES) {
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
