/**
 * @module agent/cli/index
 * The CLI agents Lucid knows, by name.
 */
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
