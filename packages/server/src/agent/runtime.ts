/**
 * @module agent/runtime
 * The built-in agent as a runner runs it, the server's own runner and `lucid runner` alike: each
 * run's agent calls its model through Lucid's LLM gateway with the run's token, so no runner
 * needs a provider key and every call is metered and held to the budgets.
 */
import { gatewayModel } from '../llm/models.ts';
import type { AgentRuntime } from './agent.ts';
import { LucidAgent } from './lucid-agent.ts';

/**
 * @example
 * new Runner({ …, agent: lucidAgentRuntime({ secrets: providerSecrets(config.llm) }) });
 */
export function lucidAgentRuntime({ secrets }: { secrets: string[] }): AgentRuntime {
  return {
    create: (spec, runToken) =>
      new LucidAgent({
        model: gatewayModel({ gatewayUrl: spec.gatewayUrl, model: spec.model, apiKey: runToken }),
      }),
    secrets,
  };
}
