/**
 * @module components/ui/agent-model-fields
 * The agent and model pickers shared by the new task form and the board's card form. The agents are
 * the server's (`GET /api/v1/agents`): those it does not run are listed but cannot be chosen, and
 * the models offered are those of a provider the chosen agent speaks. With no usable model the
 * hints point to the model provider settings; a model the server refused says why under it.
 */
import { useState } from 'react';
import { Link } from 'wouter';
import type { AgentInfo, AgentName, ModelInfo } from '@lucid/contracts';
import { useModels } from '../../lib/queries/providers.ts';
import { modelsFor, useAgents } from '../../lib/queries/agents.ts';

export const selectClass =
  'mt-1.5 block w-full rounded-md border-0 bg-white py-2 pr-8 pl-3 text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600 disabled:bg-slate-50 disabled:text-slate-500';

export const agentLabels: Record<AgentName, string> = {
  lucid: 'Lucid (built in)',
  'claude-code': 'Claude Code',
  codex: 'Codex',
  gemini: 'Gemini CLI',
  opencode: 'opencode',
  cursor: 'Cursor CLI',
};

/** Offered while the server's list loads or when it cannot be read: the built-in agent. */
const builtIn: AgentInfo = { name: 'lucid', available: true, providers: null, version: null };

function agentOption(agent: AgentInfo): string {
  const label = agent.version
    ? `${agentLabels[agent.name]} ${agent.version}`
    : agentLabels[agent.name];
  return agent.available ? label : `${label} (not enabled on this server)`;
}

function SettingsLink() {
  return (
    <Link href="/settings/providers" className="font-medium text-indigo-600 underline">
      Settings → Model providers
    </Link>
  );
}

export interface AgentModelChoice {
  agent: AgentName;
  model: string;
  setAgent: (agent: AgentName) => void;
  setModel: (model: string) => void;
  chosenAgent: AgentInfo;
  agentList: AgentInfo[];
  fitting: ModelInfo[];
  /** No model is usable at all. */
  noModel: boolean;
  /** Models are usable, but none of a provider the chosen agent speaks. */
  noFit: boolean;
  agentsState: { isPending: boolean; error: unknown };
  modelsState: { isPending: boolean; error: unknown };
}

/**
 * The chosen agent and model, each falling back to what is usable: the first available agent, the
 * default (or first) model that agent can use.
 */
export function useAgentModelChoice(initial?: {
  agent?: string | null;
  model?: string | null;
}): AgentModelChoice {
  const models = useModels();
  const agents = useAgents();
  const [agentChoice, setAgent] = useState<AgentName>(
    (initial?.agent as AgentName | null | undefined) ?? 'lucid',
  );
  const [modelChoice, setModel] = useState(initial?.model ?? '');
  const agentList = agents.data ?? [builtIn];
  const chosenAgent =
    agentList.find((a) => a.name === agentChoice && a.available) ??
    agentList.find((a) => a.available) ??
    builtIn;
  const fitting = modelsFor(chosenAgent, models.data ?? []);
  const model =
    fitting.find((m) => m.id === modelChoice)?.id ??
    (fitting.find((m) => m.default) ?? fitting[0])?.id ??
    '';
  const noModel = models.data?.length === 0;
  return {
    agent: chosenAgent.name,
    model,
    setAgent,
    setModel,
    chosenAgent,
    agentList,
    fitting,
    noModel,
    noFit: !noModel && models.data !== undefined && fitting.length === 0,
    agentsState: { isPending: agents.isPending, error: agents.error },
    modelsState: { isPending: models.isPending, error: models.error },
  };
}

/**
 * The Agent and Model selects with their hints, side by side; `modelError` (the server's refusal
 * of the model) shows under the model in place of its hint.
 */
export function AgentModelFields({
  choice,
  modelError,
}: {
  choice: AgentModelChoice;
  modelError?: string | undefined;
}) {
  const { agent, model, chosenAgent, agentList, fitting, noModel, noFit } = choice;
  return (
    <div className="grid gap-5 sm:grid-cols-2">
      <div>
        <label className="block text-sm font-medium text-slate-700">
          Agent
          <select
            className={selectClass}
            value={agent}
            onChange={(event) => choice.setAgent(event.target.value as AgentName)}
            aria-describedby="agent-hint"
          >
            {agentList.map((a) => (
              <option key={a.name} value={a.name} disabled={!a.available}>
                {agentOption(a)}
              </option>
            ))}
          </select>
        </label>
        <p id="agent-hint" className="mt-1.5 text-xs text-slate-500">
          {choice.agentsState.isPending
            ? 'Loading agents…'
            : choice.agentsState.error
              ? 'Could not load the agents this server offers; the built-in one works.'
              : chosenAgent.providers
                ? `Works with ${chosenAgent.providers.join(', ')} models.`
                : 'Works with every model.'}
        </p>
      </div>
      <div>
        <label className="block text-sm font-medium text-slate-700">
          Model
          <select
            className={selectClass}
            value={model}
            disabled={fitting.length === 0}
            onChange={(event) => choice.setModel(event.target.value)}
            aria-describedby="model-hint"
            aria-invalid={modelError ? true : undefined}
          >
            {fitting.map((m) => (
              <option key={m.id} value={m.id}>
                {m.id}
                {m.default ? ' (default)' : ''}
              </option>
            ))}
          </select>
        </label>
        <p id="model-hint" className="mt-1.5 text-xs text-slate-500">
          {modelError ? (
            <span role="alert" className="text-red-700">
              {modelError}
            </span>
          ) : choice.modelsState.isPending ? (
            'Loading models…'
          ) : choice.modelsState.error ? (
            'Could not load the models.'
          ) : noModel ? (
            <span role="alert" className="text-amber-800">
              No model is usable yet: add a provider key in <SettingsLink />.
            </span>
          ) : noFit ? (
            <span role="alert" className="text-amber-800">
              No usable model is one {agentLabels[agent]} works with (
              {chosenAgent.providers?.join(', ')}): add a key for one in <SettingsLink />, or choose
              another agent.
            </span>
          ) : (
            <>
              Models come from the server's providers and your keys in <SettingsLink />.
            </>
          )}
        </p>
      </div>
    </div>
  );
}
