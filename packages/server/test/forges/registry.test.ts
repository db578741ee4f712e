/**
 * The forge registry builds each provider's adapter at the configured addresses.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { forgeFor, oauthAppFor } from '../../src/forges/registry.ts';

it('builds GitHub and GitLab at the configured addresses, with their OAuth apps', async () => {
  const config = loadConfig({
    LUCID_DATA_DIR: await mkdtemp(path.join(tmpdir(), 'lucid-forges-')),
    GITHUB_URL: 'https://ghe.example.com',
    GITLAB_URL: 'https://gitlab.example.com',
    GITLAB_CLIENT_ID: 'id',
    GITLAB_CLIENT_SECRET: 'secret',
  });
  const github = forgeFor(config.forges, 'github');
  expect(github.provider).toBe('github');
  expect(github.endpoints).toMatchObject({
    webUrl: 'https://ghe.example.com',
    apiUrl: 'https://ghe.example.com/api/v3',
  });
  expect(github.gitRemote('t0ken', 'o/r').url).toBe('https://ghe.example.com/o/r.git');
  const gitlab = forgeFor(config.forges, 'gitlab');
  expect(gitlab.provider).toBe('gitlab');
  expect(gitlab.endpoints.apiUrl).toBe('https://gitlab.example.com/api/v4');
  expect(gitlab.gitRemote('t0ken', 'g/s/r')).toEqual({
    url: 'https://gitlab.example.com/g/s/r.git',
    username: 'oauth2',
    password: 't0ken',
  });
  expect(oauthAppFor(config.forges, 'github')).toBeNull();
  expect(oauthAppFor(config.forges, 'gitlab')).toEqual({ clientId: 'id', clientSecret: 'secret' });
});
