/**
 * @module bench/run
 * Runs one benchmark: `tsx bench/run.ts <name> [args]` loads `bench/<name>/main.ts` and calls its
 * `run(args)` when it exports one (a module may instead do its work at the top level). With no
 * name, or an unknown one, it lists the benchmarks there are. Exits non-zero when the benchmark
 * fails or its `run` returns a non-zero code.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface BenchmarkModule {
  run?: (args: string[]) => Promise<number | void> | number | void;
}

const root = path.dirname(fileURLToPath(import.meta.url));

function benchmarks(): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(root, entry.name, 'main.ts')))
    .map((entry) => entry.name)
    .sort();
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const available = benchmarks();
  if (!name || !available.includes(name)) {
    if (name) console.error(`No benchmark named "${name}".`);
    console.error('Usage: npm run bench -- <name> [args]');
    console.error(`Benchmarks: ${available.join(', ') || '(none)'}`);
    return 2;
  }
  const module = (await import(
    pathToFileURL(path.join(root, name, 'main.ts')).href
  )) as BenchmarkModule;
  const code = module.run ? await module.run(args) : 0;
  return typeof code === 'number' ? code : 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
}
