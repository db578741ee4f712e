/**
 * @module agent/system-prompt
 * The built-in agent's system prompt: the text of prompts/system.txt, then what the repository
 * says about itself (AGENTS.md, CLAUDE.md, .lucid/instructions.md and the start of the README).
 * Those files are picked and cut in one place (`promptFiles`), whoever reads them: the server from
 * its own copy of the repository at claim time (so the first model request need not wait for the
 * workspace), or the runner from the sandbox's workspace.
 */
import { readFileSync } from 'node:fs';
import type { PromptFile } from '@lucid/contracts';
import type { Sandbox } from '../sandbox/driver.ts';

const TEMPLATE = readFileSync(new URL('./prompts/system.txt', import.meta.url), 'utf8');

const INSTRUCTION_FILES = ['AGENTS.md', 'CLAUDE.md', '.lucid/instructions.md'];
const README_FILES = ['README.md', 'README', 'readme.md', 'README.rst', 'README.txt'];
const MAX_INSTRUCTIONS = 20_000;
const MAX_README = 3_000;

/** The repository files the prompt may quote, in the order they are looked for. */
const PROMPT_FILE_NAMES: readonly string[] = [...INSTRUCTION_FILES, ...README_FILES];

/**
 * How many bytes of a file are enough to quote it: its quoted characters (each at most 4 bytes in
 * UTF-8) and room for the whitespace trimmed before them.
 */
export const PROMPT_FILE_MAX_BYTES = MAX_INSTRUCTIONS * 4 + 4_096;

/**
 * The files the prompt quotes, trimmed and cut to their bounds: every instruction file with text,
 * then the first README with text. `read` answers the text of those of the names that are files.
 *
 * @example
 * const files = await promptFiles((names) => readFromWorkspace(sandbox, names));
 */
export async function promptFiles(
  read: (names: readonly string[]) => Promise<Map<string, string>>,
): Promise<PromptFile[]> {
  const texts = await read(PROMPT_FILE_NAMES);
  const files: PromptFile[] = [];
  for (const name of INSTRUCTION_FILES) {
    const text = texts.get(name)?.trim();
    if (text) files.push({ name, text: text.slice(0, MAX_INSTRUCTIONS) });
  }
  for (const name of README_FILES) {
    const text = texts.get(name)?.trim();
    if (!text) continue;
    const excerpt = text.slice(0, MAX_README);
    files.push({ name, text: excerpt, ...(excerpt.length < text.length ? { cut: true } : {}) });
    break;
  }
  return files;
}

/**
 * The system prompt quoting `files` (as `promptFiles` picks them).
 *
 * @example
 * const system = systemPromptOf(claim.run.agent.repository.files);
 */
export function systemPromptOf(files: readonly PromptFile[]): string {
  const sections = files.map((file) =>
    README_FILES.includes(file.name)
      ? `## The start of ${file.name}\n\n${file.text}${file.cut ? '\n[… the README goes on]' : ''}`
      : `## Instructions from ${file.name}\n\n${file.text}`,
  );
  const project =
    sections.length > 0 ? `\n# About this repository\n\n${sections.join('\n\n')}\n` : '';
  return TEMPLATE.replace('{{project}}', project);
}

/**
 * The text of those of `names` that are files in the sandbox's workspace. Which exist is asked in
 * one command: each read is a round trip to the sandbox (an exec in a container), and most
 * repositories have one or two of these files.
 */
async function readFromWorkspace(
  sandbox: Sandbox,
  names: readonly string[],
): Promise<Map<string, string>> {
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
  const texts = new Map<string, string>();
  for (const name of result.stdout.split('\n').filter(Boolean)) {
    try {
      const bytes = (await sandbox.readFile(`/workspace/${name}`)).subarray(
        0,
        PROMPT_FILE_MAX_BYTES,
      );
      texts.set(name, bytes.toString('utf8'));
    } catch {
      // A file gone since it was listed is left out.
    }
  }
  return texts;
}

/**
 * The files the system prompt quotes, from the sandbox's workspace.
 *
 * @example
 * const system = systemPromptOf(await repositoryFiles(sandbox));
 */
export async function repositoryFiles(sandbox: Sandbox): Promise<PromptFile[]> {
  return promptFiles((names) => readFromWorkspace(sandbox, names));
}

/**
 * The system prompt from the files in the sandbox's workspace.
 *
 * @example
 * const system = await systemPrompt(sandbox);
 */
export async function systemPrompt(sandbox: Sandbox): Promise<string> {
  return systemPromptOf(await repositoryFiles(sandbox));
}
