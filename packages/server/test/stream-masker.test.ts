import { describe, expect, it } from 'vitest';
import { StreamMasker } from '../src/secrets/masking.ts';

const SECRET = 'lucid_run_abcdefghijklmnopqrstuvwxyz0123456789';

describe('StreamMasker', () => {
  it('passes text that cannot start a secret on at once', () => {
    const masker = new StreamMasker([SECRET]);
    expect(masker.push('WAITING\n')).toBe('WAITING\n');
    expect(masker.end()).toBe('');
  });

  it('masks a secret split across chunks, holding back only its possible start', () => {
    const masker = new StreamMasker([SECRET]);
    expect(masker.push(`token=${SECRET.slice(0, 12)}`)).toBe('token=');
    expect(masker.push(`${SECRET.slice(12, 30)}`)).toBe('');
    expect(masker.push(`${SECRET.slice(30)} done\n`)).toBe('[redacted] done\n');
    expect(masker.end()).toBe('');
  });

  it('gives back a held start that turned out not to be a secret', () => {
    const masker = new StreamMasker([SECRET]);
    expect(masker.push('see lucid_run')).toBe('see ');
    expect(masker.push('ner docs\n')).toBe('lucid_runner docs\n');
    expect(masker.push('lucid_')).toBe('');
    expect(masker.end()).toBe('lucid_');
  });
});

describe('StreamMasker with several secrets', () => {
  it('holds back the longest end that begins any of them', () => {
    const masker = new StreamMasker(['abcdef-secret', 'cdxyz-secret']);
    expect(masker.push('say abcd')).toBe('say ');
    // 'cdxyz' may still become the second secret.
    expect(masker.push('xyz')).toBe('ab');
    expect(masker.push(' then cdxy')).toBe('cdxyz then ');
    expect(masker.push('z-secret!')).toBe('[redacted]!');
  });
});
