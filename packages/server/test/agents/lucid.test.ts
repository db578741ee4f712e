import { offersTools, type ScriptStep } from '../fakes/llm/index.ts';
import {
  agentConformance,
  COMMIT_COMMAND,
  FINAL_TEXT,
  localHarness,
  TEST_COMMAND,
} from './conformance.ts';

const usage = (inputTokens: number, outputTokens: number) => ({ inputTokens, outputTokens });

const trajectory: ScriptStep[] = [
  {
    when: offersTools,
    text: 'I will add the greeting file.',
    toolCalls: [
      { name: 'write_file', input: { path: 'hello.txt', content: 'hello from lucid\n' } },
    ],
    usage: usage(100, 10),
  },
  { when: offersTools, toolCalls: [{ name: 'bash', input: { command: TEST_COMMAND } }] },
  { when: offersTools, toolCalls: [{ name: 'bash', input: { command: COMMIT_COMMAND } }] },
  { when: offersTools, text: FINAL_TEXT, usage: usage(140, 5) },
];

for (const model of ['anthropic/claude-sonnet-4-5', 'openai/gpt-5', 'gemini/gemini-2.5-pro']) {
  agentConformance({ agent: 'lucid', model, trajectory }, localHarness);
}
