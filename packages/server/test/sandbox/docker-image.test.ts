import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/driver.ts';
import { DockerDriver } from '../../src/sandbox/docker/docker-driver.ts';
import { dockerTestEngine } from './docker-engine.ts';

const engine = await dockerTestEngine('docker-image.test.ts');

describe.skipIf(engine.skipReason !== null)('the sandbox image', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    const driver = new DockerDriver({ docker: engine.docker, image: engine.image });
    sandbox = await driver.create({
      labels: { 'lucid.test': 'docker-image' },
      limits: { memoryBytes: 1024 ** 3, cpus: 1, pids: 256 },
      network: 'none',
    });
  });
  afterAll(() => sandbox?.remove());

  it('runs as lucid (uid 1000) in /workspace, owned by it', async () => {
    const image = await engine.docker.getImage(engine.image).inspect();
    expect(image.Config.User).toBe('lucid');
    expect(image.Config.WorkingDir).toBe('/workspace');
    expect(image.Config.Labels).toMatchObject({
      'org.opencontainers.image.title': 'lucid-sandbox',
    });
    const result = await sandbox.exec([
      'bash',
      '-c',
      'getent passwd lucid; stat -c "%U %a" /workspace; echo "$HOME"',
    ]);
    expect(result.stdout).toBe(
      'lucid:x:1000:1000::/home/lucid:/bin/bash\nlucid 755\n/home/lucid\n',
    );
  });

  it('has the tools an agent reaches for', async () => {
    const versions = await sandbox.exec([
      'bash',
      '-c',
      'set -e; git --version; node --version; npm --version; python3 --version; ' +
        'python3 -m venv --help >/dev/null && echo venv; pip3 --version; rg --version | sed -n 1p; ' +
        'jq --version; gcc --version | sed -n 1p; make --version | sed -n 1p; curl --version | sed -n 1p; ' +
        'ps --version; setsid --version',
    ]);
    expect(versions.stderr).toBe('');
    expect(versions.exitCode).toBe(0);
    for (const line of [
      /^git version \d+\.\d+/m,
      /^v\d+\.\d+\.\d+$/m,
      /^Python 3\.\d+\.\d+$/m,
      /^venv$/m,
      /^pip \d+/m,
      /^ripgrep \d+/m,
      /^jq-\d+/m,
      /^gcc /m,
      /^GNU Make /m,
      /^curl \d+/m,
      /^ps from procps-ng/m,
      /^setsid from util-linux/m,
    ]) {
      expect(versions.stdout).toMatch(line);
    }
  });

  it('compiles and runs C, Node.js and Python in the workspace', async () => {
    const result = await sandbox.exec([
      'bash',
      '-c',
      'set -e; printf "int main(){return 0;}" > t.c && cc t.c -o t && ./t && echo c; ' +
        'node -e "console.log(\'node\')"; python3 -c "print(\'python\')"; ' +
        'python3 -m venv venv && ./venv/bin/python -c "print(\'venv\')"',
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('c\nnode\npython\nvenv\n');
  });
});
