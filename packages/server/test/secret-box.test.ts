import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openSecret, sealSecret, SecretBoxError } from '../src/secrets/secret-box.ts';

const key = randomBytes(32);
const secret = 'sk-ant-secret-box-test-0123456789';

describe('the secret box', () => {
  it('opens what it sealed, and the sealed text does not hold the secret', () => {
    const sealed = sealSecret(key, secret);
    expect(sealed).toMatch(/^v1:[\w-]+:[\w-]+:[\w-]+$/);
    expect(sealed).not.toContain(secret);
    expect(openSecret(key, sealed)).toBe(secret);
    expect(openSecret(key, sealSecret(key, ''))).toBe('');
  });

  it('seals the same secret differently each time', () => {
    const first = sealSecret(key, secret);
    const second = sealSecret(key, secret);
    expect(first).not.toBe(second);
    expect(first.split(':')[1]).not.toBe(second.split(':')[1]);
  });

  it('refuses a sealed secret that was altered', () => {
    const [version, iv, tag, ciphertext] = sealSecret(key, secret).split(':') as [
      string,
      string,
      string,
      string,
    ];
    const bytes = Buffer.from(ciphertext, 'base64url');
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    const flipped = [version, iv, tag, bytes.toString('base64url')].join(':');
    expect(() => openSecret(key, flipped)).toThrow(SecretBoxError);
    expect(() => openSecret(key, flipped)).toThrow(/altered, or sealed under another/);
    const otherTag = [version, iv, Buffer.alloc(16).toString('base64url'), ciphertext].join(':');
    expect(() => openSecret(key, otherTag)).toThrow(SecretBoxError);
    expect(() => openSecret(key, `v2:${iv}:${tag}:${ciphertext}`)).toThrow(/not in the v1 format/);
    expect(() => openSecret(key, 'v1:short')).toThrow(/not in the v1 format/);
  });

  it('refuses to open with another key', () => {
    const sealed = sealSecret(key, secret);
    expect(() => openSecret(randomBytes(32), sealed)).toThrow(SecretBoxError);
    expect(() => sealSecret(randomBytes(16), secret)).toThrow(/32 bytes/);
  });
});
