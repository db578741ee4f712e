import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemPrompt } from '../src/agent/system-prompt.ts';
import { LocalDriver } from '../src/sandbox/local/local-driver.ts';

describe("the agent's system prompt", () => {
  it('takes in the repository’s instructions and the start of its README, and nothing missing', async () => {
    const driver = new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-prompt-')) });
    const sandbox = await driver.create({
      labels: {},
      limits: { memoryBytes: 512 * 2 ** 20, cpus: 1, pids: 128 },
      network: 'none',
    });
    try {
      await sandbox.writeFile('/workspace/AGENTS.md', 'Always run `make check`.\n');
      await sandbox.writeFile('/workspace/.lucid/instructions.md', 'Use tabs.\n');
      await sandbox.writeFile('/workspace/README.md', `# Widget\n\n${'word '.repeat(2000)}\n`);
      const prompt = await systemPrompt(sandbox);
      expect(prompt).toContain('## Instructions from AGENTS.md\n\nAlways run `make check`.');
      expect(prompt).toContain('## Instructions from .lucid/instructions.md\n\nUse tabs.');
      expect(prompt).not.toContain('CLAUDE.md');
      expect(prompt).toContain('## The start of README.md\n\n# Widget');
      expect(prompt).toContain('[… the README goes on]');
      expect(prompt).not.toContain('{{project}}');

      const bare = await driver.create({
        labels: {},
        limits: { memoryBytes: 512 * 2 ** 20, cpus: 1, pids: 128 },
        network: 'none',
      });
      const plain = await systemPrompt(bare);
      expect(plain).not.toContain('About this repository');
      await bare.remove();
    } finally {
      await sandbox.remove();
    }
  });
});
