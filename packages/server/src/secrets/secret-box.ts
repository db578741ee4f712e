/**
 * @module secrets/secret-box
 * Secrets at rest: sealed with AES-256-GCM under the server's ENCRYPTION_KEY, each with its own
 * random 12-byte IV, as `v1:<iv>:<tag>:<ciphertext>` (base64url parts). Opening checks the
 * authentication tag, so a changed text or another key is refused rather than misread.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Thrown when a sealed secret cannot be opened: altered, malformed, or sealed under another key. */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

function checkKey(key: Buffer): void {
  if (key.length !== 32) throw new SecretBoxError('The encryption key must be 32 bytes.');
}

/**
 * Seals a secret; the same plaintext gives a different text each time.
 *
 * @example
 * const sealed = sealSecret(config.encryptionKey, 'sk-ant-…'); // → 'v1:…:…:…'
 */
export function sealSecret(key: Buffer, plaintext: string): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const parts = [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url'));
  return [VERSION, ...parts].join(':');
}

/**
 * Opens a secret sealed by {@link sealSecret}; throws {@link SecretBoxError} when it was altered,
 * is malformed, or was sealed under another key.
 *
 * @example
 * const apiKey = openSecret(config.encryptionKey, row.sealedKey);
 */
export function openSecret(key: Buffer, sealed: string): string {
  checkKey(key);
  const [version, iv, tag, ciphertext, ...rest] = sealed.split(':');
  if (version !== VERSION || iv === undefined || tag === undefined || ciphertext === undefined) {
    throw new SecretBoxError(`The sealed secret is not in the ${VERSION} format.`);
  }
  const ivBytes = Buffer.from(iv, 'base64url');
  const tagBytes = Buffer.from(tag, 'base64url');
  if (rest.length > 0 || ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) {
    throw new SecretBoxError(`The sealed secret is not in the ${VERSION} format.`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, ivBytes);
    decipher.setAuthTag(tagBytes);
    return Buffer.concat([
      decipher.update(Buffer.from(ciphertext, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    throw new SecretBoxError(
      'The sealed secret could not be opened: it was altered, or sealed under another ENCRYPTION_KEY.',
    );
  }
}
