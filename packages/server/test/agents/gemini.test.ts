/**
 * Gemini CLI, installed at its pinned version (with its pinned Node.js) into the runner's agent
 * cache, does the conformance task in a docker sandbox against the fake LLM's Gemini API through
 * Lucid's gateway.
 */
import { DockerDriver } from '../../src/sandbox/docker/docker-driver.ts';
import { offersTools, type ScriptStep } from '../fakes/llm/index.ts';
import { dockerTestEngine } from '../sandbox/docker-engine.ts';
import { agentConformance, COMMIT_COMMAND, FINAL_TEXT, TEST_COMMAND } from './conformance.ts';
import { AGENT_CACHE } from './cache.ts';

const engine = await dockerTestEngine('agents/gemini.test.ts');

const shell = (command: string): ScriptStep => ({
  when: offersTools,
  toolCalls: [{ name: 'run_shell_command', input: { command, description: 'Run a command' } }],
});

/**
 * The conformance test without command substitution, which Gemini CLI's shell tool always refuses
 * (`$(…)`, backticks): it still prints the environment and the git config first.
 */
const GEMINI_TEST_COMMAND = TEST_COMMAND.replace(
  'test "$(cat hello.txt)" = "hello from lucid"',
  'grep -qx "hello from lucid" hello.txt',
);

const trajectory: ScriptStep[] = [
  {
    when: offersTools,
    text: 'I will add the greeting file.',
    toolCalls: [
      {
        name: 'write_file',
        input: { file_path: '/workspace/hello.txt', content: 'hello from lucid\n' },
      },
    ],
    usage: { inputTokens: 2_000, outputTokens: 40, cacheReadTokens: 500 },
  },
  shell(GEMINI_TEST_COMMAND),
  shell(COMMIT_COMMAND),
  { when: offersTools, text: FINAL_TEXT, usage: { inputTokens: 2_500, outputTokens: 12 } },
];

agentConformance(
  {
    agent: 'gemini',
    model: 'gemini/gemini-2.5-pro',
    trajectory,
    configFiles: ['/tmp/lucid-agent/gemini/.gemini/settings.json'],
    timeoutMs: 240_000,
  },
  async () => {
    return {
      driver: new DockerDriver({ docker: engine.docker, image: engine.image }),
      env: { LUCID_CLI_AGENTS: 'gemini', LUCID_AGENT_CACHE: AGENT_CACHE },
    };
  },
  { skip: engine.skipReason !== null },
);
