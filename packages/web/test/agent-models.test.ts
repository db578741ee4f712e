/**
 * Which models the new task form offers for an agent: those of a provider it speaks, every one for
 * an agent that speaks them all, none for an agent whose providers have no usable model.
 */
import { describe, expect, it } from 'vitest';
import type { AgentInfo, ModelInfo } from '@lucid/contracts';
import { modelsFor } from '../src/lib/queries/agents.ts';

const models: ModelInfo[] = [
  { provider: 'anthropic', id: 'anthropic/claude-sonnet-4-5', default: true },
  { provider: 'openai', id: 'openai/gpt-5', default: false },
  { provider: 'openai-compatible', id: 'openai-compatible/qwen3-coder', default: false },
];

function agent(name: AgentInfo['name'], providers: string[] | null): AgentInfo {
  return { name, available: true, providers, version: providers ? '1.0.0' : null };
}

describe('modelsFor', () => {
  it('offers every model to an agent that speaks every provider', () => {
    expect(modelsFor(agent('lucid', null), models)).toEqual(models);
  });

  it('offers only the models of the providers an agent speaks', () => {
    expect(modelsFor(agent('codex', ['openai']), models).map((m) => m.id)).toEqual([
      'openai/gpt-5',
    ]);
    expect(
      modelsFor(agent('opencode', ['openai-compatible', 'openai-chat']), models).map((m) => m.id),
    ).toEqual(['openai-compatible/qwen3-coder']);
  });

  it('offers nothing when no usable model is of a provider the agent speaks', () => {
    expect(modelsFor(agent('claude-code', ['anthropic']), models.slice(1))).toEqual([]);
  });
});
