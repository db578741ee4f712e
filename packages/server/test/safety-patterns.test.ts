/**
 * The patterns of a workspace's safety policy: protected path globs, and refused commands matched
 * against a command and each of its parts.
 */
import { describe, expect, it } from 'vitest';
import { refusedBy } from '../src/agent/tools/refused-commands.ts';
import { matchingPath } from '../src/safety/paths.ts';

describe('protected path globs', () => {
  it('covers a folder ending in /, crosses folders with ** and stays within one with *', () => {
    expect(matchingPath('.github/workflows/ci.yml', ['.github/workflows/'])).toBe(
      '.github/workflows/',
    );
    expect(matchingPath('infra/prod/main.tf', ['infra/**'])).toBe('infra/**');
    expect(matchingPath('deploy/main.tf', ['**/*.tf'])).toBe('**/*.tf');
    expect(matchingPath('main.tf', ['**/*.tf'])).toBe('**/*.tf');
    expect(matchingPath('src/infra/x.ts', ['infra/'])).toBeNull();
    expect(matchingPath('infra/prod/main.tf', ['infra/*'])).toBeNull();
    expect(matchingPath('src/app.ts', ['.github/workflows/', 'infra/**'])).toBeNull();
  });
});

describe('refused commands', () => {
  it('matches the whole command or any part of it, * being any text', () => {
    expect(refusedBy('curl -s https://example.test', ['curl *'])).toBe('curl *');
    expect(refusedBy('cd app && git push --force origin main', ['git push --force*'])).toBe(
      'git push --force*',
    );
    expect(refusedBy('echo hi | curl   -d @- x', ['curl *'])).toBe('curl *');
    expect(refusedBy('echo curl is a tool', ['curl *'])).toBeNull();
    expect(refusedBy('git push origin main', ['git push --force*'])).toBeNull();
  });
});
