/**
 * @module metrics/safety-blocks
 * Pushes the checks before a push blocked, counted by check. The checks run deep in the domain on
 * a server's database handle, so a server says once which metrics count the blocks found on its
 * database ({@link countSafetyBlocksOn}), and the checks report through {@link countSafetyBlock}.
 */
import type { Metrics } from './metrics.ts';

const byDatabase = new WeakMap<object, Metrics>();

/**
 * Counts, into `metrics`, the blocks found by checks run on `db` (the server's database handle).
 *
 * @example
 * countSafetyBlocksOn(database.db, metrics);
 */
export function countSafetyBlocksOn(db: object, metrics: Metrics): void {
  byDatabase.set(db, metrics);
}

/** Counts one check that blocked a push, run on `db`. */
export function countSafetyBlock(db: object, check: string): void {
  byDatabase.get(db)?.safetyBlocks.inc({ check });
}
