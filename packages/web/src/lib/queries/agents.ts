/**
 * @module lib/queries/agents
 * The agents this server offers (`GET /api/v1/agents`), and which of the usable models each one
 * can work with.
 */
import { useQuery } from '@tanstack/react-query';
import type { AgentInfo, ModelInfo } from '@lucid/contracts';
import { api } from '../api.ts';

export const agentsQueryKey = ['agents'] as const;

export function useAgents() {
  return useQuery({
    queryKey: agentsQueryKey,
    queryFn: ({ signal }) =>
      api<{ agents: AgentInfo[] }>('/api/v1/agents', { signal }).then((r) => r.agents),
    staleTime: 60_000,
  });
}

/**
 * The models an agent can use: those of a provider it speaks, or every one when it speaks all.
 *
 * @example
 * modelsFor({ name: 'codex', providers: ['openai'], … }, models); // only openai/… models
 */
export function modelsFor(agent: AgentInfo | undefined, models: readonly ModelInfo[]): ModelInfo[] {
  if (!agent?.providers) return [...models];
  const providers = agent.providers;
  return models.filter((model) => providers.includes(model.provider));
}
