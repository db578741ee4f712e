/**
 * @module bench/git-server/content
 * Deterministic file contents that compress like a real repository: source files built from a
 * shared vocabulary (each file leaning on its own few identifiers, as real modules do), prose,
 * JSON, and binary assets that barely compress.
 */
import { createRandom, type Random } from '../lib/prng.ts';

export type FileKind = 'ts' | 'js' | 'py' | 'go' | 'rs' | 'md' | 'json' | 'png' | 'woff' | 'bin';

export const BINARY_KINDS: readonly FileKind[] = ['png', 'woff', 'bin'];

/** Relative weights of each kind among text files. */
export const TEXT_WEIGHTS: Readonly<Record<string, number>> = {
  ts: 40,
  js: 10,
  py: 15,
  go: 10,
  rs: 8,
  md: 9,
  json: 8,
};

export function isBinary(kind: FileKind): boolean {
  return BINARY_KINDS.includes(kind);
}

const SYLLABLES = (
  'ra to mi ka lu sen dor vi pa tek zo ne li qu ber an el or us ix cha fin gro hal jen mor pol ' +
  'rin sta tur val wen yo bra cle dri fle glo pri tro'
).split(' ');

const KEYWORDS: Readonly<Record<string, readonly string[]>> = {
  c: ['const', 'let', 'return', 'await', 'new', 'this', 'typeof', 'null', 'undefined', 'true'],
  py: ['self', 'None', 'True', 'False', 'return', 'yield', 'await', 'lambda', 'not', 'and'],
  go: ['err', 'nil', 'ctx', 'return', 'defer', 'go', 'range', 'make', 'len', 'append'],
  rs: ['self', 'Some', 'None', 'Ok', 'Err', 'mut', 'ref', 'match', 'impl', 'move'],
};

const OPERATORS = ['===', '!==', '<', '>', '<=', '>=', '&&', '||', '+', '-'];
const TYPES = ['string', 'number', 'boolean', 'Config', 'Result', 'Options', 'Context', 'Record'];

/** The identifiers and words every file draws from; the same for every file of one seed. */
export interface Vocabulary {
  identifiers: string[];
  words: string[];
}

export function createVocabulary(seed: number): Vocabulary {
  const random = createRandom(seed);
  const word = (parts: number) => {
    let out = '';
    for (let i = 0; i < parts; i++) out += random.pick(SYLLABLES);
    return out;
  };
  const identifiers = new Set<string>();
  while (identifiers.size < 4000) {
    const parts = random.int(1, 3);
    const first = word(1);
    let id = first;
    for (let i = 1; i < parts; i++) {
      const next = word(random.int(1, 2));
      id += random.chance(0.7) ? next[0]?.toUpperCase() + next.slice(1) : `_${next}`;
    }
    identifiers.add(id);
  }
  const words = new Set<string>();
  while (words.size < 2500) words.add(word(random.int(1, 3)));
  return { identifiers: [...identifiers], words: [...words] };
}

/** Writes lines in the style of one file, drawing on that file's own identifiers. */
interface LineWriter {
  lines(count: number): string[];
}

function writerFor(kind: FileKind, vocabulary: Vocabulary, random: Random): LineWriter {
  const local: string[] = [];
  const localCount = random.int(15, 45);
  for (let i = 0; i < localCount; i++) {
    local.push(vocabulary.identifiers[random.skewed(vocabulary.identifiers.length, 1.6)] ?? 'x');
  }
  const id = () =>
    random.chance(0.85)
      ? (local[random.skewed(local.length, 1.8)] ?? 'x')
      : (vocabulary.identifiers[random.skewed(vocabulary.identifiers.length, 2)] ?? 'x');
  const words = (min: number, max: number) => {
    const count = random.int(min, max);
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      out.push(vocabulary.words[random.skewed(vocabulary.words.length, 3.5)] ?? 'a');
    }
    return out.join(' ');
  };
  const literal = () => {
    const r = random.next();
    if (r < 0.35) return String(random.int(0, r < 0.3 ? 10 : 1000));
    if (r < 0.75) return `'${words(1, 4)}'`;
    return random.pick(['true', 'false', 'null', '[]', '{}']);
  };
  const args = () => {
    const count = random.int(0, 3);
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(random.chance(0.75) ? id() : literal());
    return out.join(', ');
  };

  switch (kind) {
    case 'md':
      return {
        lines: (count) => {
          const out: string[] = [];
          while (out.length < count) {
            const r = random.next();
            if (r < 0.1) out.push(`${'#'.repeat(random.int(1, 3))} ${words(1, 5)}`, '');
            else if (r < 0.25) out.push(`- ${words(3, 12)}`);
            else if (r < 0.3) out.push('```', `${id()}(${args()})`, '```', '');
            else out.push(`${words(6, 16)}.`, ...(random.chance(0.3) ? [''] : []));
          }
          return out;
        },
      };
    case 'json': {
      let depth = 1;
      return {
        lines: (count) => {
          const out: string[] = [];
          while (out.length < count) {
            const pad = '  '.repeat(depth);
            const r = random.next();
            if (r < 0.12 && depth < 5) {
              out.push(`${pad}"${id()}": {`);
              depth++;
            } else if (r < 0.24 && depth > 1) {
              depth--;
              out.push(`${'  '.repeat(depth)}},`);
            } else {
              out.push(`${pad}"${id()}": ${literal().replace(/'/g, '"')},`);
            }
          }
          return out;
        },
      };
    }
    case 'py':
    case 'go':
    case 'rs':
    case 'ts':
    case 'js':
    default: {
      const family = kind === 'py' || kind === 'go' || kind === 'rs' ? kind : 'c';
      const keywords = KEYWORDS[family] ?? [];
      const unit = kind === 'go' ? '\t' : kind === 'py' || kind === 'rs' ? '    ' : '  ';
      const braces = family !== 'py';
      const open = braces ? ' {' : ':';
      let depth = 0;
      const fn = () => {
        if (family === 'py') return `def ${id()}(self, ${args()}):`;
        if (family === 'go') return `func (${id()} *${id()}) ${id()}(${args()}) error {`;
        if (family === 'rs') return `pub fn ${id()}(&self, ${id()}: &${random.pick(TYPES)}) {`;
        return `export ${random.chance(0.4) ? 'async ' : ''}function ${id()}(${id()}: ${random.pick(TYPES)})${open}`;
      };
      const phrases: string[] = [];
      for (let i = 0; i < 12; i++) {
        phrases.push(
          random.chance(0.5)
            ? `${id()}.${id()}(${args()})`
            : `${random.pick(keywords)} ${id()} = ${id()}.${id()}(${args()})`,
        );
      }
      return {
        lines: (count) => {
          const out: string[] = [];
          while (out.length < count) {
            const pad = unit.repeat(depth);
            const r = random.next();
            if (depth > 0 && random.chance(0.3)) {
              out.push(`${pad}${phrases[random.skewed(phrases.length, 1.5)] ?? ''}`);
            } else if (depth === 0) {
              if (r < 0.15) out.push(`import { ${id()}, ${id()} } from './${id()}';`);
              else if (r < 0.3) out.push(`// ${words(4, 12)}`);
              else if (r < 0.4) out.push('');
              else {
                out.push(fn());
                depth = 1;
              }
            } else if (r < 0.2) {
              out.push(`${pad}${random.pick(keywords)} ${id()} = ${id()}.${id()}(${args()})`);
            } else if (r < 0.3 && depth < 6) {
              out.push(`${pad}if ${id()} ${random.pick(OPERATORS)} ${literal()}${open}`);
              depth++;
            } else if (r < 0.36 && depth < 6) {
              out.push(`${pad}for ${id()} in ${id()}.${id()}()${open}`);
              depth++;
            } else if (r < 0.5) {
              depth--;
              if (braces) out.push(`${unit.repeat(depth)}}`);
              if (depth === 0) out.push('');
            } else if (r < 0.58) {
              out.push(`${pad}// ${words(3, 14)}`);
            } else if (r < 0.66) {
              out.push(`${pad}return ${id()}${random.chance(0.5) ? `.${id()}` : ''}`);
            } else if (r < 0.8) {
              out.push(`${pad}${id()}.${id()} = ${literal()}`);
            } else if (r < 0.9) {
              out.push(`${pad}${random.pick(keywords)} ${id()}(${args()})`);
            } else {
              out.push('');
            }
          }
          return out;
        },
      };
    }
  }
}

/** A file's stable identity: its kind and the seed of its writer. */
export interface FileSpec {
  kind: FileKind;
  seed: number;
}

/** The full text of a new text file of about `size` bytes. */
export function textFile(spec: FileSpec, vocabulary: Vocabulary, size: number): string {
  const writer = writerFor(spec.kind, vocabulary, createRandom(spec.seed));
  const parts: string[] = [];
  let length = 0;
  while (length < size) {
    for (const line of writer.lines(16)) {
      parts.push(line);
      length += line.length + 1;
    }
  }
  return `${parts.join('\n')}\n`;
}

/**
 * A change to a text file, as a commit makes one: a few hunks, each replacing some lines with
 * new ones written in the file's own style.
 */
export function editTextFile(
  spec: FileSpec,
  vocabulary: Vocabulary,
  content: string,
  random: Random,
): string {
  const writer = writerFor(spec.kind, vocabulary, createRandom(random.seed() ^ spec.seed));
  const lines = content.split('\n');
  const hunks = random.int(1, 3);
  for (let h = 0; h < hunks; h++) {
    const at = random.int(0, Math.max(0, lines.length - 1));
    const removed = random.int(0, 6);
    lines.splice(at, removed, ...writer.lines(random.int(1, 10)));
  }
  return lines.join('\n');
}

/** A binary asset: random bytes, or for `bin` random blocks mixed with repeated ones. */
export function binaryFile(spec: FileSpec, size: number, random: Random): Buffer {
  const bytes = Buffer.allocUnsafe(Math.max(16, Math.round(size)));
  random.fill(bytes);
  if (spec.kind === 'bin') {
    const block = 4096;
    for (let offset = 0; offset + block <= bytes.length; offset += block) {
      if (random.chance(0.5)) bytes.fill(random.int(0, 255), offset, offset + block);
    }
  }
  return bytes;
}
