/**
 * @module agent/cli/index
 * The CLI agents Lucid knows, by name.
 */
import { AgentName, type AgentInfo } from '@lucid/contracts';
import type { CliAgentDefinition } from './cli-agent.ts';
import { claudeCode } from './claude-code.ts';
import { codex } from './codex.ts';
import { gemini } from './gemini.ts';
import { opencode } from './opencode.ts';

export const CLI_AGENTS: Record<string, CliAgentDefinition> = {
  [claudeCode.name]: claudeCode,
  [codex.name]: codex,
  [opencode.name]: opencode,
  [gemini.name]: gemini,
};

/**
 * The model providers each of the named CLI agents speaks, as task creation checks them.
 *
 * @example
 * cliAgentProviders(['claude-code']) // { 'claude-code': ['anthropic'] }
 */
export function cliAgentProviders(names: readonly string[]): Record<string, readonly string[]> {
  const providers: Record<string, readonly string[]> = {};
  for (const name of names) {
    const definition = CLI_AGENTS[name];
    if (definition) providers[name] = definition.providers;
  }
  return providers;
}

/**
 * The agents a server can offer, as this one does: the built-in one, the CLI agents its runners
 * run (`LUCID_CLI_AGENTS`), and the other installable ones, unavailable. An agent no runner can
 * install (Cursor's CLI is not on npm) is left out: no setting could enable it.
 *
 * @example
 * agentsOffered(['codex']); // [{ name: 'lucid', available: true, … }, { name: 'claude-code', available: false, … }, …]
 */
export function agentsOffered(enabled: readonly string[]): AgentInfo[] {
  return AgentName.options.flatMap((name): AgentInfo[] => {
    if (name === 'lucid') return [{ name, available: true, providers: null, version: null }];
    const definition = CLI_AGENTS[name];
    if (!definition) return [];
    return [
      {
        name,
        available: enabled.includes(name),
        providers: [...definition.providers],
        version: definition.version,
      },
    ];
  });
}
