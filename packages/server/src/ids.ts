/**
 * @module ids
 * Resource ids: a short type prefix and 20 random base-32 characters, such as `repo_k3x9…`.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * @example
 * newId('repo') // 'repo_7kq2x5tm3vwa9c4hz2ye'
 */
export function newId(prefix: string): string {
  const bytes = randomBytes(20);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte & 31];
  return `${prefix}_${out}`;
}
