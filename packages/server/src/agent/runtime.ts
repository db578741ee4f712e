/**
 * @module agent/runtime
 * The agents as a runner runs them, the server's own runner and `lucid runner` alike: the built-in
 * agent, and the CLI agents the runner was started with (installed in its agent cache). Each run's
 * agent calls its model through Lucid's LLM gateway with the run's token, so no runner needs a
 * provider key and every call is metered and held to the budgets.
 */
import { contextWindowOf } from '../llm/context-window.ts';
import { gatewayModel } from '../llm/models.ts';
import type { AgentRuntime } from './agent.ts';
import { CliAgent } from './cli/cli-agent.ts';
import { CLI_AGENTS } from './cli/index.ts';
import { LucidAgent } from './lucid-agent.ts';

/**
 * @example
 * new Runner({ …, agent: lucidAgentRuntime({ secrets: providerSecrets(config.llm), cliAgents: ['claude-code'] }) });
 */
export function lucidAgentRuntime({
  secrets,
  cliAgents = [],
  gatewayFetch,
}: {
  secrets: string[];
  /** How the built-in agent reaches the gateway: in-process for the server's own runner. */
  gatewayFetch?: typeof fetch | undefined;
  /** CLI agents installed in the runner's agent cache, mounted into its sandboxes. */
  cliAgents?: readonly string[];
}): AgentRuntime {
  return {
    create: (spec, runToken, { sandboxGatewayUrl, taskId, onModelRequest }) => {
      if (spec.name === 'lucid') {
        const send = gatewayFetch ?? fetch;
        const viaGateway = (
          model: string,
          through: typeof fetch | undefined = gatewayFetch,
          headers?: Record<string, string>,
        ) =>
          gatewayModel({
            gatewayUrl: spec.gatewayUrl,
            model,
            apiKey: runToken,
            fetch: through,
            headers,
          });
        const context = spec.context ?? {
          window: contextWindowOf(spec.model),
          summaryModel: spec.model,
          summaryWindow: contextWindowOf(spec.model),
        };
        return new LucidAgent({
          model: viaGateway(
            spec.model,
            onModelRequest
              ? (input, init) => {
                  const extra = onModelRequest();
                  if (!extra) return send(input, init);
                  const headers = new Headers(init?.headers);
                  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
                  return send(input, { ...init, headers });
                }
              : gatewayFetch,
          ),
          modelName: spec.model,
          context: {
            window: context.window,
            // The gateway records the summaries' calls as their own phase.
            summaryModel: viaGateway(context.summaryModel, gatewayFetch, {
              'x-lucid-phase': 'summary',
            }),
            summaryWindow: context.summaryWindow,
            ...(taskId ? { cacheKey: `lucid-${taskId}` } : {}),
          },
        });
      }
      const definition = CLI_AGENTS[spec.name];
      if (!definition || !cliAgents.includes(spec.name)) {
        throw new Error(
          `This runner cannot run the ${spec.name} agent: start it with LUCID_CLI_AGENTS including ${spec.name}.`,
        );
      }
      return new CliAgent({
        definition,
        model: spec.model,
        gatewayUrl: sandboxGatewayUrl,
        runToken,
      });
    },
    secrets,
  };
}
