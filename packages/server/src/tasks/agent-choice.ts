/**
 * @module tasks/agent-choice
 * The agent and model a task's agent runs use, checked the same way when a task is created and
 * when its card is edited before it first runs: the agent must run on this server
 * (`agent_unavailable`), the model must be usable by the server's providers or the actor's own keys
 * and spoken by the agent (`model_unavailable`), and one its provider lists (`model_not_found`,
 * where the provider has a list).
 */
import type { AgentName } from '@lucid/contracts';
import type { LlmConfig } from '../config.ts';
import { AppError } from '../errors.ts';
import { checkModelListed } from '../llm/model-lists.ts';
import { usableModel } from '../llm/models.ts';

/** CLI agents this server's runners run, each with the model providers it speaks. */
export type AvailableAgents = Partial<Record<AgentName, readonly string[]>>;

/**
 * Checks an agent and model; answers the model to use (the configured default when none is asked).
 *
 * @example
 * const { agent, model } = await chooseAgent(llm, agents, { agent: 'codex', model: 'openai/gpt-5' });
 */
export async function chooseAgent(
  llm: LlmConfig,
  agents: AvailableAgents,
  requested: { agent: AgentName; model?: string | undefined },
): Promise<{ agent: AgentName; model: string }> {
  const { agent } = requested;
  const speaks = agents[agent];
  if (agent !== 'lucid' && !speaks) {
    const available = ['lucid', ...Object.keys(agents)].join(', ');
    throw new AppError(
      'agent_unavailable',
      `The ${agent} agent is not available on this server; use one of: ${available}.`,
    );
  }
  const model = usableModel(llm, requested.model);
  if (speaks && !speaks.includes(model.split('/')[0] ?? '')) {
    throw new AppError(
      'model_unavailable',
      `The ${agent} agent cannot use ${model}: pick a model of ${speaks.join(' or ')}.`,
    );
  }
  await checkModelListed(llm, model);
  return { agent, model };
}
