/**
 * The README's configuration tables name every variable Lucid reads, and only those: the names
 * the server's configuration parses, those any other module reads from the environment (the CLI's
 * own), and those a dependency reads for Lucid (DOCKER_HOST), compared both ways.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../src/config.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SOURCES = path.join(ROOT, 'packages/server/src');

/** Read by a dependency on Lucid's behalf. */
const READ_BY_DEPENDENCIES = ['DOCKER_HOST'];

/** Read from the environment, but the process's own surroundings rather than Lucid's settings. */
const NOT_SETTINGS: Record<string, string> = {
  PATH: 'passed on to the programs Lucid starts',
  HOME: 'passed on to the programs Lucid starts',
  XDG_CONFIG_HOME: "the user's config folder, the default of LUCID_CONFIG_DIR",
  LC_ALL: 'set for git, not read',
  GIT_CONFIG_COUNT: "git's own, extended to pass a header",
};

/** Every variable named in a table of the README's Configuration section. */
async function documented(): Promise<Set<string>> {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Configuration\n');
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  const names = new Set<string>();
  for (const line of readme.slice(start, end).split('\n')) {
    if (!line.startsWith('| `')) continue;
    const firstCell = line.split('|')[1] ?? '';
    for (const [, name] of firstCell.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(name!);
  }
  return names;
}

/** Every variable a module reads by name: `env.NAME`, `env['NAME']`, commander's `.env('NAME')`. */
async function readInCode(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const entries = await readdir(SOURCES, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile() || !/\.(ts|mjs)$/.test(entry.name)) continue;
    const file = path.join(entry.parentPath, entry.name);
    const text = await readFile(file, 'utf8');
    for (const pattern of [
      /\benv\??\.([A-Z][A-Z0-9_]+)\b/g,
      /\benv\[['"]([A-Z][A-Z0-9_]+)['"]\]/g,
      /\.env\(\s*['"]([A-Z][A-Z0-9_]+)['"]/g,
    ]) {
      for (const [, name] of text.matchAll(pattern)) {
        if (!found.has(name!)) found.set(name!, path.relative(ROOT, file));
      }
    }
  }
  for (const name of CONFIG_VARIABLES) found.set(name, 'packages/server/src/config.ts');
  for (const name of READ_BY_DEPENDENCIES) found.set(name, 'a dependency');
  for (const name of Object.keys(NOT_SETTINGS)) found.delete(name);
  return found;
}

describe("the README's configuration tables", () => {
  it('name every variable Lucid reads', async () => {
    const names = await documented();
    const missing = [...(await readInCode())]
      .filter(([name]) => !names.has(name))
      .map(([name, where]) => `${name} (read in ${where})`);
    expect(missing).toEqual([]);
  });

  it('name no variable Lucid does not read', async () => {
    const read = await readInCode();
    const extra = [...(await documented())].filter((name) => !read.has(name));
    expect(extra).toEqual([]);
  });

  it('include the settings a newcomer looks for', async () => {
    const names = await documented();
    for (const name of [
      'LUCID_SANDBOX',
      'OPENAI_BASE_URL',
      'ANTHROPIC_BASE_URL',
      'LUCID_LOG_FORMAT',
      'LUCID_TOKEN',
    ]) {
      expect(names).toContain(name);
    }
  });
});
