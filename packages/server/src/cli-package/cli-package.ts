/**
 * @module cli-package/cli-package
 * The `lucid` command as an npm package that installs on any machine reaching the server
 * (`npm install -g $LUCID_URL/cli.tgz`). esbuild bundles the client commands and the runner
 * (`cli/package-main.ts`) with every dependency into `bin/lucid.js`; the files that code reads at
 * run time (`new URL('…', import.meta.url)`: scripts, prompts, the sandbox image's Dockerfile) go
 * beside it under `assets/`. The package has no dependencies, so npm installs it without a
 * registry. It is built once per process, on first use.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import { pack } from 'tar-stream';
import serverPackage from '../../package.json' with { type: 'json' };

const SERVER_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REPO_ROOT = path.resolve(SERVER_ROOT, '../..');
const ENTRY = path.join(SERVER_ROOT, 'src/cli/package-main.ts');
/** npm's own date for packed files, so that the same sources make the same tarball. */
const PACKED_AT = new Date('1985-10-26T08:15:00Z');
const ASSET_URL = /new URL\((['"])([^'"]+)\1,\s*import\.meta\.url\)/g;

/**
 * What esbuild's ESM output lacks for the CommonJS packages it bundles (dockerode and its SSH
 * client call `require` and read `__dirname`).
 */
const PRELUDE = [
  '#!/usr/bin/env node',
  "import { createRequire as __lucidRequire } from 'node:module';",
  "import { fileURLToPath as __lucidPath } from 'node:url';",
  "import { dirname as __lucidDirname } from 'node:path';",
  'const require = __lucidRequire(import.meta.url);',
  'const __filename = __lucidPath(import.meta.url);',
  'const __dirname = __lucidDirname(__filename);',
].join('\n');

/** The package's manifest: the `lucid` command, the Node.js versions Lucid supports. */
export function cliPackageManifest(): Record<string, unknown> {
  return {
    name: '@lucid/cli',
    version: serverPackage.version,
    description:
      'The lucid command: signs in to a Lucid server, pushes repositories, and runs tasks for it',
    type: 'module',
    bin: { lucid: 'bin/lucid.js' },
    engines: { node: '>=20.19' },
  };
}

/**
 * Points each `new URL('<relative>', import.meta.url)` of Lucid's sources at the same file under
 * `assets/`, and collects those files.
 */
function assetsPlugin(assets: Set<string>): Plugin {
  return {
    name: 'lucid-assets',
    setup(bundler) {
      bundler.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (!args.path.startsWith(SERVER_ROOT)) return undefined;
        const source = await readFile(args.path, 'utf8');
        const contents = source.replace(ASSET_URL, (_match, _quote, relative: string) => {
          const target = path.resolve(path.dirname(args.path), relative);
          const inRepo = path.relative(REPO_ROOT, target);
          if (inRepo.startsWith('..')) {
            throw new Error(`${args.path} reads ${target}, outside Lucid's checkout`);
          }
          assets.add(target);
          return `new URL(${JSON.stringify(`../assets/${inRepo}`)}, import.meta.url)`;
        });
        return { contents, loader: 'ts' };
      });
    },
  };
}

/** Every file under `target` (or `target` itself), as absolute paths. */
async function filesOf(target: string): Promise<string[]> {
  if (!(await stat(target)).isDirectory()) return [target];
  const entries = await readdir(target, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/** Builds the package: a gzipped tarball whose files are under `package/`, as npm expects. */
export async function buildCliPackage(): Promise<Buffer> {
  const assets = new Set<string>();
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    outfile: 'bin/lucid.js',
    // Optional native add-ons of the SSH client: it works without them.
    external: ['*.node'],
    banner: { js: PRELUDE },
    legalComments: 'none',
    logLevel: 'silent',
    plugins: [assetsPlugin(assets)],
  });
  const code = result.outputFiles[0]?.contents;
  if (!code) throw new Error('esbuild wrote no bundle of the lucid command');

  const tarball = pack();
  const add = (name: string, body: Buffer | Uint8Array | string, mode = 0o644) =>
    tarball.entry({ name: `package/${name}`, mode, mtime: PACKED_AT }, Buffer.from(body));
  add('package.json', `${JSON.stringify(cliPackageManifest(), null, 2)}\n`);
  add('bin/lucid.js', code, 0o755);
  for (const asset of [...assets].sort()) {
    for (const file of await filesOf(asset)) {
      add(`assets/${path.relative(REPO_ROOT, file)}`, await readFile(file));
    }
  }
  tarball.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of tarball) chunks.push(chunk as Buffer);
  return promisify(gzip)(Buffer.concat(chunks));
}

let built: Promise<Buffer> | undefined;

/**
 * The package, built on the first call and kept for the life of the process; a failed build is
 * tried again on the next call.
 *
 * @example
 * reply.type('application/gzip').send(await cliPackage());
 */
export function cliPackage(): Promise<Buffer> {
  built ??= buildCliPackage().catch((error: unknown) => {
    built = undefined;
    throw error;
  });
  return built;
}
