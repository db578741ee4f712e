/**
 * @module bench/git-server/test-repo
 * The repository the git benchmark pushes and clones: generated from a seed and streamed into one
 * `git fast-import`, then repacked once. It is cached under `bench/.work/` by a key of its
 * parameters and of the generator's own source, so a second run reuses it and any change to either
 * builds it again.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRandom, type Random } from '../lib/prng.ts';
import {
  BINARY_KINDS,
  TEXT_WEIGHTS,
  binaryFile,
  createVocabulary,
  editTextFile,
  isBinary,
  textFile,
  type FileKind,
  type FileSpec,
  type Vocabulary,
} from './content.ts';
import { gitOk } from './git.ts';

export interface TestRepoParams {
  seed: number;
  /** Files on the main branch at its last commit (about). */
  files: number;
  /** Bytes of content on the main branch at its last commit (about). */
  bytes: number;
  /** Commits in all, across every branch. */
  commits: number;
  /** Side branches, each forked from main and holding `branchCommits` commits. */
  branches: number;
  branchCommits: number;
  /** Share of the files that are binary assets. */
  binaryShare: number;
  /** Share of the content bytes held by binary assets. */
  binaryBytesShare: number;
}

export const DEFAULT_PARAMS: TestRepoParams = {
  seed: 20240611,
  files: 5000,
  bytes: 50 * 1024 * 1024,
  commits: 200,
  branches: 4,
  branchCommits: 5,
  binaryShare: 0.04,
  binaryBytesShare: 0.15,
};

export interface TestRepo {
  /** The bare repository. */
  path: string;
  files: number;
  bytes: number;
  commits: number;
  branches: string[];
  /** Size of its packs on disk. */
  packBytes: number;
  /** True when an earlier run's copy was reused. */
  reused: boolean;
  /** Seconds the generation took (in the run that made it). */
  buildSeconds: number;
}

type Summary = Omit<TestRepo, 'path' | 'reused'>;

const META = 'bench-meta.json';
const SOURCES = ['./test-repo.ts', './content.ts', '../lib/prng.ts'];

function cacheKey(params: TestRepoParams): string {
  const hash = createHash('sha256').update(JSON.stringify(params));
  for (const source of SOURCES) hash.update(readFileSync(new URL(source, import.meta.url)));
  return hash.digest('hex').slice(0, 12);
}

/** Where the repository for these parameters lives in the cache. */
function testRepoPath(cacheDir: string, params: TestRepoParams = DEFAULT_PARAMS): string {
  return path.join(cacheDir, `repo-${cacheKey(params)}.git`);
}

/**
 * The cached test repository, or null when it has not been built for these parameters and this
 * generator.
 *
 * @example
 * const repo = await cachedTestRepo(defaultCacheDir);
 */
export async function cachedTestRepo(
  cacheDir: string,
  params: TestRepoParams = DEFAULT_PARAMS,
): Promise<TestRepo | null> {
  const repoPath = testRepoPath(cacheDir, params);
  const meta = path.join(repoPath, META);
  if (!existsSync(meta)) return null;
  const summary = JSON.parse(await readFile(meta, 'utf8')) as Summary;
  return { ...summary, path: repoPath, reused: true };
}

/**
 * Builds the test repository into the cache, replacing any other version held there. It is
 * written under a temporary name and renamed once complete, so an interrupted build is never
 * taken for a finished one.
 *
 * @example
 * const repo = await buildTestRepo(defaultCacheDir);
 */
export async function buildTestRepo(
  cacheDir: string,
  params: TestRepoParams = DEFAULT_PARAMS,
): Promise<TestRepo> {
  const repoPath = testRepoPath(cacheDir, params);
  await mkdir(cacheDir, { recursive: true });
  for (const entry of await readdir(cacheDir)) {
    if (entry.startsWith('repo-')) await rm(path.join(cacheDir, entry), { recursive: true });
  }
  const building = `${repoPath.slice(0, -'.git'.length)}.building-${process.pid}`;
  const started = performance.now();
  await gitOk(['init', '--quiet', '--bare', '--initial-branch=main', building]);
  const shape = await streamHistory(building, params);
  await gitOk(['repack', '-a', '-d', '-f', '--quiet', '--window=10', '--depth=50'], building);
  await gitOk(['config', 'gc.auto', '0'], building);
  const summary: Summary = {
    ...shape,
    packBytes: await packBytes(building),
    buildSeconds: Math.round((performance.now() - started) / 100) / 10,
  };
  await writeFile(path.join(building, META), `${JSON.stringify(summary, null, 2)}\n`);
  await rename(building, repoPath);
  return { ...summary, path: repoPath, reused: false };
}

async function packBytes(repoPath: string): Promise<number> {
  const dir = path.join(repoPath, 'objects', 'pack');
  let total = 0;
  for (const entry of await readdir(dir)) total += (await stat(path.join(dir, entry))).size;
  return total;
}

interface FileState {
  spec: FileSpec;
  content: string | Buffer;
}

type Tree = Map<string, FileState>;

interface Change {
  path: string;
  content: string | Buffer | null;
}

const AUTHORS = [
  'Ada Park <ada@example.test>',
  'Bruno Silva <bruno@example.test>',
  'Chen Wei <chen@example.test>',
  'Dana Cohen <dana@example.test>',
  'Emeka Obi <emeka@example.test>',
  'Freya Lund <freya@example.test>',
];

const TOP_DIRS = ['packages', 'services', 'libs', 'tools', 'docs', 'assets'];

/** Plans every file of the final tree: its path, kind, writer seed and target size. */
function planFiles(params: TestRepoParams, random: Random, vocabulary: Vocabulary) {
  const textKinds = Object.entries(TEXT_WEIGHTS);
  const weightTotal = textKinds.reduce((sum, [, weight]) => sum + weight, 0);
  const pickText = (): FileKind => {
    let r = random.next() * weightTotal;
    for (const [kind, weight] of textKinds) {
      r -= weight;
      if (r < 0) return kind as FileKind;
    }
    return 'ts';
  };
  const dirs: string[] = [];
  for (let i = 0; i < 160; i++) {
    const top = random.pick(TOP_DIRS);
    const depth = random.int(1, 3);
    const parts = [top];
    for (let d = 0; d < depth; d++) parts.push(random.pick(vocabulary.words.slice(0, 300)));
    dirs.push(parts.join('/'));
  }
  const paths = new Set<string>();
  const planned: { path: string; spec: FileSpec; size: number }[] = [];
  const total = Math.round(params.files * 1.01);
  for (let i = 0; i < total; i++) {
    const binary = random.chance(params.binaryShare);
    const kind = binary ? random.pick(BINARY_KINDS) : pickText();
    const dir = dirs[random.skewed(dirs.length, 1.3)] ?? 'src';
    let base = `${dir}/${vocabulary.identifiers[random.int(0, 3999)] ?? 'file'}`;
    while (paths.has(`${base}.${kind}`)) base += `_${random.int(0, 9)}`;
    const file = `${base}.${kind}`;
    paths.add(file);
    const size = binary ? random.logNormal(40_000, 0.9) : random.logNormal(6_000, 1.0);
    planned.push({ path: file, spec: { kind, seed: random.seed() }, size });
  }
  const scale = (binary: boolean, share: number) => {
    const sum = planned
      .filter((file) => isBinary(file.spec.kind) === binary)
      .reduce((acc, file) => acc + file.size, 0);
    return (params.bytes * share) / Math.max(1, sum);
  };
  const binaryScale = scale(true, params.binaryBytesShare);
  const textScale = scale(false, 1 - params.binaryBytesShare);
  for (const file of planned) {
    const limit = isBinary(file.spec.kind) ? 2_000_000 : 400_000;
    file.size = Math.min(limit, file.size * (isBinary(file.spec.kind) ? binaryScale : textScale));
  }
  return planned;
}

/** Writes the whole history into `git fast-import`; returns the shape of what it wrote. */
async function streamHistory(
  repoPath: string,
  params: TestRepoParams,
): Promise<Omit<Summary, 'packBytes' | 'buildSeconds'>> {
  const random = createRandom(params.seed);
  const vocabulary = createVocabulary(params.seed ^ 0x5eed);
  const planned = planFiles(params, random, vocabulary);
  const make = (file: (typeof planned)[number]): FileState => ({
    spec: file.spec,
    content: isBinary(file.spec.kind)
      ? binaryFile(file.spec, file.size, createRandom(file.spec.seed))
      : textFile(file.spec, vocabulary, file.size),
  });
  const change = (tree: Tree, count: number): Change[] => {
    const keys = [...tree.keys()];
    const changes = new Map<string, Change>();
    for (let i = 0; i < count; i++) {
      const file = keys[random.int(0, keys.length - 1)];
      const state = file === undefined ? undefined : tree.get(file);
      if (file === undefined || !state || changes.has(file)) continue;
      if (isBinary(state.spec.kind) && !random.chance(0.1)) continue;
      const content = isBinary(state.spec.kind)
        ? binaryFile(state.spec, state.content.length, random)
        : editTextFile(state.spec, vocabulary, state.content as string, random);
      tree.set(file, { spec: state.spec, content });
      changes.set(file, { path: file, content });
    }
    return [...changes.values()];
  };

  const child = spawn('git', ['fast-import', '--quiet', '--done'], {
    cwd: repoPath,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const write = async (chunk: string | Buffer) => {
    if (!child.stdin.write(chunk)) await once(child.stdin, 'drain');
  };

  let mark = 0;
  let time = 1_700_000_000;
  const commit = async (
    ref: string,
    message: string,
    changes: Change[],
    from?: number,
  ): Promise<number> => {
    mark += 1;
    time += random.int(300, 30_000);
    const author = random.pick(AUTHORS);
    const text = `${message}\n`;
    await write(
      `commit ${ref}\nmark :${mark}\nauthor ${author} ${time} +0000\n` +
        `committer ${author} ${time} +0000\ndata ${Buffer.byteLength(text)}\n${text}` +
        (from === undefined ? '' : `from :${from}\n`),
    );
    for (const item of changes) {
      if (item.content === null) {
        await write(`D ${item.path}\n`);
        continue;
      }
      const body =
        typeof item.content === 'string' ? Buffer.from(item.content, 'latin1') : item.content;
      await write(`M 100644 inline ${item.path}\ndata ${body.length}\n`);
      await write(body);
      await write('\n');
    }
    await write('\n');
    return mark;
  };

  const mainCommits = params.commits - params.branches * params.branchCommits;
  const initialCount = Math.round(planned.length * 0.8);
  const tree: Tree = new Map();
  const initial: Change[] = [];
  for (const file of planned.slice(0, initialCount)) {
    const state = make(file);
    tree.set(file.path, state);
    initial.push({ path: file.path, content: state.content });
  }
  const pending = planned.slice(initialCount);
  const forkAt = new Map<number, number>();
  for (let b = 0; b < params.branches; b++) {
    forkAt.set(Math.round(((b + 1) * mainCommits) / (params.branches + 1)), b);
  }

  let tip = await commit('refs/heads/main', 'Initial import', initial);
  const branches = ['main'];
  for (let i = 1; i < mainCommits; i++) {
    const changes = change(tree, 1 + random.skewed(60, 2));
    const adds = Math.ceil(pending.length / (mainCommits - i));
    const last = i === mainCommits - 1;
    for (const file of pending.splice(0, last ? pending.length : random.int(0, adds * 2))) {
      const state = make(file);
      tree.set(file.path, state);
      changes.push({ path: file.path, content: state.content });
    }
    if (random.chance(0.25)) {
      const keys = [...tree.keys()];
      const gone = keys[random.int(0, keys.length - 1)];
      if (gone !== undefined && !changes.some((c) => c.path === gone)) {
        tree.delete(gone);
        changes.push({ path: gone, content: null });
      }
    }
    const subject = vocabulary.words[random.skewed(vocabulary.words.length, 2)] ?? 'code';
    tip = await commit('refs/heads/main', `Update ${subject} (${changes.length} files)`, changes);

    const branch = forkAt.get(i);
    if (branch !== undefined) {
      const name = `feature/${vocabulary.words[branch * 7 + 3] ?? branch}`;
      const side: Tree = new Map(tree);
      let from: number | undefined = tip;
      for (let c = 0; c < params.branchCommits; c++) {
        await commit(`refs/heads/${name}`, `${name}: step ${c + 1}`, change(side, 8), from);
        from = undefined;
      }
      branches.push(name);
    }
  }
  await write('done\n');
  child.stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`git fast-import failed (${code}): ${stderr.trim()}`);

  let bytes = 0;
  for (const state of tree.values()) bytes += state.content.length;
  return { files: tree.size, bytes, commits: mark, branches };
}

export const defaultCacheDir = fileURLToPath(new URL('../.work/git-server', import.meta.url));
