/**
 * opencode, installed at its pinned version into the runner's agent cache, does the conformance
 * task in a docker sandbox against the fake LLM through Lucid's gateway.
 */
import { DockerDriver } from '../../src/sandbox/docker/docker-driver.ts';
import { offersTools, type ScriptStep } from '../fakes/llm/index.ts';
import { dockerTestEngine } from '../sandbox/docker-engine.ts';
import { agentConformance, COMMIT_COMMAND, FINAL_TEXT, TEST_COMMAND } from './conformance.ts';
import { AGENT_CACHE } from './cache.ts';

const engine = await dockerTestEngine('agents/opencode.test.ts');

const bash = (command: string): ScriptStep => ({
  when: offersTools,
  toolCalls: [{ name: 'bash', input: { command, description: 'Run a command' } }],
});

const trajectory: ScriptStep[] = [
  {
    when: offersTools,
    text: 'I will add the greeting file.',
    toolCalls: [
      {
        name: 'write',
        input: { filePath: '/workspace/hello.txt', content: 'hello from lucid\n' },
      },
    ],
    usage: { inputTokens: 2_000, outputTokens: 40 },
  },
  bash(TEST_COMMAND),
  bash(COMMIT_COMMAND),
  { when: offersTools, text: FINAL_TEXT, usage: { inputTokens: 2_500, outputTokens: 12 } },
];

agentConformance(
  {
    agent: 'opencode',
    model: 'openai-compatible/qwen2.5-coder',
    trajectory,
    configFiles: ['/tmp/lucid-agent/opencode/.config/opencode/opencode.json'],
    timeoutMs: 240_000,
  },
  async () => {
    return {
      driver: new DockerDriver({ docker: engine.docker, image: engine.image }),
      env: { LUCID_CLI_AGENTS: 'opencode', LUCID_AGENT_CACHE: AGENT_CACHE },
    };
  },
  { skip: engine.skipReason !== null },
);
