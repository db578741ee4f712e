/**
 * Claude Code, installed at its pinned version into the runner's agent cache, does the conformance
 * task against the fake LLM through Lucid's gateway: in a docker sandbox, and in a local sandbox
 * under bubblewrap.
 */
import { DockerDriver } from '../../src/sandbox/docker/docker-driver.ts';
import { offersTools, type ScriptStep } from '../fakes/llm/index.ts';
import { dockerTestEngine } from '../sandbox/docker-engine.ts';
import { existsSync } from 'node:fs';
import {
  agentConformance,
  COMMIT_COMMAND,
  FINAL_TEXT,
  localHarness,
  TEST_COMMAND,
} from './conformance.ts';
import { AGENT_CACHE } from './cache.ts';

const engine = await dockerTestEngine('agents/claude-code.test.ts');

const trajectory: ScriptStep[] = [
  {
    when: offersTools,
    text: 'I will add the greeting file.',
    toolCalls: [
      {
        name: 'Write',
        input: { file_path: '/workspace/hello.txt', content: 'hello from lucid\n' },
      },
    ],
    usage: { inputTokens: 2_000, outputTokens: 40 },
  },
  {
    when: offersTools,
    toolCalls: [{ name: 'Bash', input: { command: TEST_COMMAND, description: 'Run the test' } }],
  },
  {
    when: offersTools,
    toolCalls: [{ name: 'Bash', input: { command: COMMIT_COMMAND, description: 'Commit' } }],
  },
  { when: offersTools, text: FINAL_TEXT, usage: { inputTokens: 2_500, outputTokens: 12 } },
];

const subject = {
  agent: 'claude-code' as const,
  model: 'anthropic/claude-sonnet-4-5',
  trajectory,
  configFiles: ['/tmp/lucid-agent/claude-code/.claude/settings.json'],
  timeoutMs: 240_000,
};
const env = { LUCID_CLI_AGENTS: 'claude-code', LUCID_AGENT_CACHE: AGENT_CACHE };

agentConformance(
  subject,
  async () => {
    return { driver: new DockerDriver({ docker: engine.docker, image: engine.image }), env };
  },
  { skip: engine.skipReason !== null, label: 'docker' },
);

const bwrap = existsSync('/usr/bin/bwrap');
if (!bwrap)
  console.log('claude-code.test.ts: local sandbox run skipped: bubblewrap is not installed');
agentConformance(subject, async () => ({ ...(await localHarness()), env }), {
  skip: !bwrap,
  label: 'local sandbox',
});
