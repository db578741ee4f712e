/**
 * Lucid claims a Node.js range (`engines.node` of the root package.json, and the README's
 * "Node.js ≥ 20.19"); every package `npm ci` installs must run on it, or npm warns EBADENGINE and
 * the package may fail at run time. Checked on the lockfile, for its lowest version and for the
 * Node.js running the tests.
 */
import { readFile } from 'node:fs/promises';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { cliPackageManifest } from '../src/cli-package/cli-package.ts';

interface LockedPackage {
  version?: string;
  engines?: { node?: unknown } | unknown[];
}

const ROOT = new URL('../../../', import.meta.url);

async function json<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(new URL(file, ROOT), 'utf8')) as T;
}

describe('the Node.js versions Lucid claims', () => {
  it('are supported by every package the lockfile installs', async () => {
    const claimed = (await json<{ engines: { node: string } }>('package.json')).engines.node;
    const lowest = semver.minVersion(claimed)!.version;
    const lock = await json<{ packages: Record<string, LockedPackage> }>('package-lock.json');
    const excluding: string[] = [];
    for (const [where, locked] of Object.entries(lock.packages)) {
      const range = Array.isArray(locked.engines) ? undefined : locked.engines?.node;
      if (typeof range !== 'string' || !semver.validRange(range)) continue;
      for (const node of [lowest, process.versions.node]) {
        if (!semver.satisfies(node, range)) {
          excluding.push(`${where}@${locked.version}: node ${range} (not ${node})`);
        }
      }
    }
    expect(excluding).toEqual([]);
  });

  it('are the ones the README and the installable CLI name', async () => {
    const claimed = (await json<{ engines: { node: string } }>('package.json')).engines.node;
    expect(claimed).toBe('>=20.19');
    const readme = await readFile(new URL('README.md', ROOT), 'utf8');
    expect(readme).toContain('You need Node.js ≥ 20.19 and git.');
    expect(cliPackageManifest().engines).toEqual({ node: claimed });
  });
});
