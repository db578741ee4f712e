/**
 * The layer order of .dependency-cruiser.cjs, as `npm run lint` checks it: the tree passes, and a
 * copy of it with an import that breaks the order fails with the rule that says so.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const depcruise = path.join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

/** The violations depcruise finds under `packages` of `dir`, with the repository's configuration. */
async function violations(dir: string): Promise<Violation[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [depcruise, 'packages', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'],
    { cwd: dir, maxBuffer: 256 * 1024 * 1024 },
  ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  const result = JSON.parse(stdout) as { summary: { violations: Violation[] } };
  return result.summary.violations;
}

describe('the layer order', () => {
  it('holds in the tree as it is', async () => {
    expect(await violations(root)).toEqual([]);
  });

  describe('in a copy of the tree with imports that break it', () => {
    let copy = '';
    let found: Violation[] = [];

    beforeAll(async () => {
      copy = await mkdtemp(path.join(tmpdir(), 'lucid-layers-'));
      for (const part of [
        '.dependency-cruiser.cjs',
        'tsconfig.base.json',
        'packages/contracts/src',
        'packages/server/src',
        'packages/web/src',
      ]) {
        await cp(path.join(root, part), path.join(copy, part), { recursive: true });
      }
      const offending: Record<string, string> = {
        'packages/server/src/llm/back-edge.ts': "export { loadTask } from '../tasks/tasks.ts';\n",
        'packages/server/src/agent/reads-db.ts': "export { runs } from '../db/schema.ts';\n",
        'packages/server/src/runner/reads-queue.ts':
          "export { claimRun } from '../control/queue.ts';\n",
        'packages/server/src/tasks/reads-control.ts':
          "export { claimRun } from '../control/queue.ts';\n",
        'packages/server/src/unlisted/thing.ts': "export { newId } from '../ids.ts';\n",
        'packages/web/src/features/board/uses-tasks.ts':
          "export { useTaskStream } from '../tasks/live/use-task-stream.ts';\n",
      };
      for (const [file, text] of Object.entries(offending)) {
        await mkdir(path.dirname(path.join(copy, file)), { recursive: true });
        await writeFile(path.join(copy, file), text);
      }
      found = await violations(copy);
    });

    afterAll(async () => {
      if (copy) await rm(copy, { recursive: true, force: true });
    });

    const rulesOf = (from: string) =>
      found.filter((violation) => violation.from === from).map((violation) => violation.rule.name);

    it('refuses an import from llm/ up into tasks/', () => {
      expect(rulesOf('packages/server/src/llm/back-edge.ts')).toEqual(['layer-order-llm']);
    });

    it('refuses the database on the worker side, and the runner reaching into tasks/', () => {
      expect(rulesOf('packages/server/src/agent/reads-db.ts')).toContain(
        'worker-side-has-no-database',
      );
      expect(rulesOf('packages/server/src/runner/reads-queue.ts')).toEqual(
        expect.arrayContaining(['layer-order-runner', 'worker-side-has-no-database']),
      );
    });

    it('refuses tasks/ reaching up into the control plane above it', () => {
      expect(rulesOf('packages/server/src/tasks/reads-control.ts')).toEqual(['layer-order-tasks']);
    });

    it('refuses a server folder that has no place in the layer list', () => {
      expect(rulesOf('packages/server/src/unlisted/thing.ts')).toEqual(['layer-listed']);
    });

    it('refuses a web feature importing another', () => {
      expect(rulesOf('packages/web/src/features/board/uses-tasks.ts')).toEqual([
        'web-features-stand-alone',
      ]);
    });

    it('finds nothing else', () => {
      expect(
        found.every((violation) => /\/(back-edge|reads-|thing|uses-)/.test(violation.from)),
      ).toBe(true);
    });
  });
});
