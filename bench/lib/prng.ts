/**
 * @module bench/lib/prng
 * A small seeded pseudo-random generator (sfc32, seeded through splitmix32), so generated
 * inputs are the same on every machine and every run.
 */

export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** A whole number in [min, max]. */
  int(min: number, max: number): number;
  /** True with the given probability. */
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** An index in [0, length), skewed towards 0: a cheap stand-in for a Zipf distribution. */
  skewed(length: number, power?: number): number;
  /** A log-normal sample with the given median and shape. */
  logNormal(median: number, sigma: number): number;
  /** Fills a buffer with random bytes. */
  fill(bytes: Uint8Array): void;
  /** A 32-bit seed for a derived generator. */
  seed(): number;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * @example
 * const random = createRandom(42);
 * random.int(1, 6);
 */
export function createRandom(seed: number): Random {
  const mix = splitmix32(seed);
  let a = mix();
  let b = mix();
  let c = mix();
  let d = mix();
  const u32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) u32();
  const next = () => u32() / 4294967296;

  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (probability) => next() < probability,
    pick: <T>(items: readonly T[]): T => {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error('pick from an empty list');
      return item;
    },
    skewed: (length, power = 2.5) => Math.floor(length * Math.pow(next(), power)),
    logNormal: (median, sigma) => {
      const u = 1 - next();
      const v = next();
      const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
      return median * Math.exp(sigma * normal);
    },
    fill: (bytes) => {
      const words = Math.floor(bytes.length / 4);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < words; i++) view.setUint32(i * 4, u32(), true);
      for (let i = words * 4; i < bytes.length; i++) bytes[i] = u32() & 0xff;
    },
    seed: u32,
  };
}
