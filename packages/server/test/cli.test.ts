import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signUp, type TestUser } from './support/client.ts';
import { cliUser, type CliUser } from './support/cli.ts';
import { freePort, startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
let user: TestUser;
let cli: CliUser;

beforeAll(async () => {
  server = await startTestServer();
  user = await signUp(server.url, 'Ada Lovelace');
  cli = await cliUser();
});
afterAll(() => server.close());
afterEach(() => {
  for (const output of cli.transcript.splice(0)) expect(output).not.toContain(user.token);
});

const credentialsFile = () => path.join(cli.configDir, 'credentials.json');

describe('lucid login', () => {
  it('refuses a wrong token, an unreachable server and a URL that is not http, saving nothing', async () => {
    const refused = await cli.run([
      'login',
      '--server',
      server.url,
      '--token',
      'lucid_pat_not-a-real-token',
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(
      new RegExp(`^lucid: The token was refused by ${server.url}: \\S.*\\n$`),
    );

    const port = await freePort();
    const unreachable = await cli.run([
      'login',
      '--server',
      `http://127.0.0.1:${port}`,
      '--token',
      user.token,
    ]);
    expect(unreachable.code).not.toBe(0);
    expect(unreachable.stderr).toBe(
      `lucid: Cannot reach Lucid at http://127.0.0.1:${port} (connection refused). Is the server running?\n`,
    );

    const notHttp = await cli.run(['login', '--server', 'ftp://example.test', '--token', 'x']);
    expect(notHttp.code).not.toBe(0);
    expect(notHttp.stderr).toContain('--server must be an http:// or https:// URL');

    expect(existsSync(credentialsFile())).toBe(false);
  });

  it('saves the token readable only by the user, and later commands use it', async () => {
    const login = await cli.run(['login', '--server', `${server.url}/`, '--token', user.token]);
    expect(login.stderr).toBe('');
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(`Signed in to ${server.url} as Ada Lovelace <${user.email}>.`);

    expect((await stat(credentialsFile())).mode & 0o777).toBe(0o600);
    expect((await stat(cli.configDir)).mode & 0o777).toBe(0o700);
    const saved = JSON.parse(await readFile(credentialsFile(), 'utf8'));
    expect(saved).toMatchObject({ server: server.url, token: user.token, user: { id: user.id } });

    const repos = await cli.run(['repos']);
    expect(repos.stderr).toBe('');
    expect(repos.stdout).toContain('No repositories yet');
  });

  it('lets LUCID_TOKEN override the saved token, and never sends it to another server', async () => {
    const overridden = await cli.run(['repos'], { env: { LUCID_TOKEN: 'lucid_pat_revoked' } });
    expect(overridden.code).not.toBe(0);
    expect(overridden.stderr).toContain(`The token was refused by ${server.url}`);

    const elsewhere = `http://127.0.0.1:${await freePort()}`;
    const other = await cli.run(['repos', '--server', elsewhere]);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain(`No API token for ${elsewhere}`);
  });

  it('keeps credentials under ~/.config/lucid by default', async () => {
    const home = path.join(cli.home, 'other-home');
    const login = await cli.run(['login', '--server', server.url, '--token', user.token], {
      env: { HOME: home, LUCID_CONFIG_DIR: '' },
    });
    expect(login.code).toBe(0);
    const file = path.join(home, '.config', 'lucid', 'credentials.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});

describe('lucid runner', () => {
  it('refuses to start without LUCID_RUNNER_TOKEN or a token file, saying how to give one', async () => {
    const missing = await cli.run(['runner', '--server', server.url]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(
      'No runner token: set LUCID_RUNNER_TOKEN, or pass --token-file',
    );

    const empty = path.join(cli.home, 'empty-token');
    await writeFile(empty, '\n');
    const fromEmptyFile = await cli.run(['runner', '--server', server.url, '--token-file', empty]);
    expect(fromEmptyFile.code).not.toBe(0);
    expect(fromEmptyFile.stderr).toContain(`The runner token file ${empty} is empty`);
  });

  it('refuses a token on the command line, where every user of the host could read it', async () => {
    const onCommandLine = await cli.run(
      ['runner', '--server', server.url, '--token', 'lucid_rnr_on-the-command-line'],
      { env: { LUCID_RUNNER_TOKEN: 'lucid_rnr_in-the-environment' } },
    );
    expect(onCommandLine.code).not.toBe(0);
    expect(onCommandLine.stderr).toContain('lucid runner takes no --token');
    expect(onCommandLine.stderr).toContain('Set LUCID_RUNNER_TOKEN');
    const help = await cli.run(['runner', '--help']);
    expect(help.stdout).toContain('--token-file');
    expect(help.stdout).not.toMatch(/--token </);
  });
});

describe('lucid --help', () => {
  it('lists the commands', async () => {
    const help = await cli.run(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['serve', 'login', 'repos', 'ingest', 'land']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
  });
});
