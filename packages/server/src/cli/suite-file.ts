/**
 * @module cli/suite-file
 * Reads an eval suite's folder: its `suite.json`, checked against the suite schema, a mistake
 * reported with the line it is on; each case's hidden files read from the suite.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { SuiteFile } from '@lucid/contracts';
import { CliError } from './cli-error.ts';

/** A case as read: its repository a folder of the suite (absolute) or a repository name in Lucid. */
export interface LoadedCase {
  id: string;
  repository: { folder: string } | { name: string };
  commit?: string | undefined;
  prompt: string;
  check: string;
  hidden: { path: string; content: string }[];
}

export interface LoadedSuite {
  name: string;
  cases: LoadedCase[];
}

/**
 * Reads and checks `<dir>/suite.json`; a mistake is a `CliError` naming the file, its line and what
 * is wrong.
 *
 * @example
 * const suite = await loadSuite('evals/example');
 */
export async function loadSuite(dir: string): Promise<LoadedSuite> {
  const file = path.join(dir, 'suite.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`Could not read ${file}: ${(error as Error).message}`, 2);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const line = lineAt(text, syntaxErrorOffset(text));
    const reason = (error as Error).message.split(', "')[0] ?? 'not JSON';
    throw new CliError(`${file}, line ${line}: this is not valid JSON (${reason}).`, 2);
  }
  const checked = SuiteFile.safeParse(parsed);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const where = issue?.path ?? [];
    const line = lineOfPath(text, where);
    const name = where.length > 0 ? `${formatPath(where)}: ` : '';
    throw new CliError(`${file}, line ${line}: ${name}${issue?.message ?? 'not a suite'}.`, 2);
  }
  const cases: LoadedCase[] = [];
  for (const testCase of checked.data.cases) {
    const folder = path.resolve(dir, testCase.repository);
    const isFolder = await stat(folder).then(
      (found) => found.isDirectory(),
      () => false,
    );
    const hidden = [];
    for (const [target, source] of Object.entries(testCase.hidden)) {
      const from = path.resolve(dir, source);
      try {
        hidden.push({ path: target, content: await readFile(from, 'utf8') });
      } catch (error) {
        throw new CliError(
          `Case ${testCase.id}: could not read its hidden file ${source}: ${(error as Error).message}`,
          2,
        );
      }
    }
    cases.push({
      id: testCase.id,
      repository: isFolder ? { folder } : { name: testCase.repository },
      commit: testCase.commit,
      prompt: testCase.prompt,
      check: testCase.check,
      hidden,
    });
  }
  return { name: checked.data.name, cases };
}

function formatPath(where: readonly PropertyKey[]): string {
  return where
    .map((key, index) =>
      typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`,
    )
    .join('');
}

/**
 * Where a JSON text goes wrong: the shortest start of it that fails otherwise than by ending too
 * soon (node's message does not always give the position).
 */
function syntaxErrorOffset(text: string): number {
  const failsThere = (length: number) => {
    try {
      JSON.parse(text.slice(0, length));
      return false;
    } catch (error) {
      const message = (error as Error).message;
      const at = /at position (\d+)/.exec(message);
      return !message.includes('end of JSON input') && !(at && Number(at[1]) >= length);
    }
  };
  try {
    JSON.parse(text);
  } catch (error) {
    const at = /at position (\d+)/.exec((error as Error).message);
    if (at) return Number(at[1]);
  }
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (failsThere(middle)) high = middle;
    else low = middle + 1;
  }
  return Math.max(0, low - 1);
}

function lineAt(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

/**
 * The line of the value at `where` in a JSON text (or of the nearest enclosing value that is
 * there: a missing key points at its object).
 */
export function lineOfPath(text: string, where: readonly PropertyKey[]): number {
  const lines = new Map<string, number>();
  let at = 0;
  const skip = () => {
    while (at < text.length && /\s/.test(text[at] ?? '')) at++;
  };
  const string = (): string => {
    const start = at;
    at++;
    while (at < text.length && text[at] !== '"') at += text[at] === '\\' ? 2 : 1;
    at++;
    return JSON.parse(text.slice(start, at)) as string;
  };
  const value = (key: string): void => {
    skip();
    lines.set(key, lineAt(text, at));
    const char = text[at];
    if (char === '{') {
      at++;
      skip();
      while (at < text.length && text[at] !== '}') {
        skip();
        const name = string();
        skip();
        at++; // :
        value(`${key}\u0000${name}`);
        skip();
        if (text[at] === ',') at++;
        skip();
      }
      at++;
    } else if (char === '[') {
      at++;
      let index = 0;
      skip();
      while (at < text.length && text[at] !== ']') {
        value(`${key}\u0000${index++}`);
        skip();
        if (text[at] === ',') at++;
        skip();
      }
      at++;
    } else if (char === '"') {
      string();
    } else {
      while (at < text.length && !/[\s,\]}]/.test(text[at] ?? '')) at++;
    }
  };
  value('');
  for (let depth = where.length; depth >= 0; depth--) {
    const key = ['', ...where.slice(0, depth).map(String)].join('\u0000');
    const line = lines.get(key);
    if (line !== undefined) return line;
  }
  return 1;
}
