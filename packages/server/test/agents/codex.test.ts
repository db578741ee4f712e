/**
 * Codex, installed at its pinned version into the runner's agent cache, does the conformance
 * task in a docker sandbox against the fake LLM through Lucid's gateway.
 */
import { DockerDriver } from '../../src/sandbox/docker/docker-driver.ts';
import { offersTools, type ScriptStep } from '../fakes/llm/index.ts';
import { dockerTestEngine } from '../sandbox/docker-engine.ts';
import { agentConformance, COMMIT_COMMAND, FINAL_TEXT, TEST_COMMAND } from './conformance.ts';
import { AGENT_CACHE } from './cache.ts';

const engine = await dockerTestEngine('agents/codex.test.ts');

const exec = (cmd: string): ScriptStep => ({
  when: offersTools,
  toolCalls: [{ name: 'exec_command', input: { cmd } }],
});

const trajectory: ScriptStep[] = [
  {
    ...exec("printf 'hello from lucid\\n' > hello.txt"),
    text: 'I will add the greeting file.',
    usage: { inputTokens: 2_000, outputTokens: 40, cacheReadTokens: 500 },
  },
  exec(TEST_COMMAND),
  exec(COMMIT_COMMAND),
  { when: offersTools, text: FINAL_TEXT, usage: { inputTokens: 2_500, outputTokens: 12 } },
];

agentConformance(
  {
    agent: 'codex',
    model: 'openai/gpt-5',
    trajectory,
    configFiles: ['/tmp/lucid-agent/codex/.codex/config.toml'],
    timeoutMs: 240_000,
  },
  async () => {
    return {
      driver: new DockerDriver({ docker: engine.docker, image: engine.image }),
      env: { LUCID_CLI_AGENTS: 'codex', LUCID_AGENT_CACHE: AGENT_CACHE },
    };
  },
  { skip: engine.skipReason !== null },
);
