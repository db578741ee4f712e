/**
 * @module agent/tool
 * Every tool of the built-in agent is declared once with `defineTool`. The wrapper reports the
 * call and its result as events, validates the input (a mistake goes back to the model as a message
 * saying what to fix), turns a thrown error into a message, masks secrets, and truncates the output
 * in one place with an explicit marker. A call waits for the workspace to be ready before it starts
 * (and before it is reported), since the first model request leaves while the workspace is made.
 */
import { jsonSchema, tool, type Tool } from 'ai';
import { z } from 'zod';
import type { EventBody, Plan } from '@lucid/contracts';
import type { Sandbox, SandboxShell } from '../sandbox/driver.ts';
import { maskSecrets } from '../secrets/masking.ts';

/** Most characters of one tool output the model sees; the middle of a longer one is cut. */
export const MAX_TOOL_OUTPUT = 30_000;

/** What a tool works with. */
export interface ToolContext {
  sandbox: Sandbox;
  shell: () => Promise<SandboxShell>;
  /** Settles once the workspace is ready; a call waits for it before it starts. */
  ready?: Promise<unknown> | undefined;
  emit: (event: EventBody) => void;
  signal: AbortSignal;
  secrets: readonly string[];
  /** Patterns of shell commands refused by the workspace's safety policy (see tools/refused-commands). */
  refusedCommands?: readonly string[];
  /** Called by the `finish` tool. */
  finish: (summary: string) => void;
  /** Called by the `submit_plan` tool of a planning run. */
  submitPlan?: ((plan: Plan) => void) | undefined;
  /** How many steps the approved plan a coding run follows has (`plan_step_done`). */
  planSteps?: number | undefined;
}

/** What a tool's `execute` answers: text for the model, and how the call went. */
export interface ToolResult {
  output: string;
  ok?: boolean;
  exitCode?: number | null;
  timedOut?: boolean;
}

export interface ToolDefinition<S extends z.ZodType> {
  description: string;
  parameters: S;
  execute: (input: z.output<S>, ctx: ToolContext) => Promise<ToolResult>;
}

export interface DefinedTool {
  name: string;
  /** The AI SDK tool bound to one run's context. */
  bind(ctx: ToolContext): Tool;
}

/** Cuts the middle of a long output, saying how much went. */
export function truncate(
  text: string,
  max = MAX_TOOL_OUTPUT,
): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  const half = Math.floor(max / 2);
  const cut = text.length - 2 * half;
  return {
    text: `${text.slice(0, half)}\n[… output truncated: ${cut} characters cut here …]\n${text.slice(-half)}`,
    truncated: true,
  };
}

function invalidInput(name: string, error: z.ZodError): string {
  const problems = error.issues.map(
    (issue) => `- ${issue.path.length > 0 ? issue.path.join('.') : 'input'}: ${issue.message}`,
  );
  return `Error: invalid input for ${name}:\n${problems.join('\n')}\nCall ${name} again with input that matches its parameters.`;
}

/**
 * @example
 * export const finishTool = defineTool('finish', {
 *   description: 'Say the work is done',
 *   parameters: z.object({ summary: z.string() }),
 *   execute: async ({ summary }, ctx) => (ctx.finish(summary), { output: 'Finished.' }),
 * });
 */
export function defineTool<S extends z.ZodType>(
  name: string,
  definition: ToolDefinition<S>,
): DefinedTool {
  const schema = z.toJSONSchema(definition.parameters, { io: 'input' });
  return {
    name,
    bind: (ctx) =>
      tool({
        description: definition.description,
        inputSchema: jsonSchema<unknown>(schema as Parameters<typeof jsonSchema>[0]),
        execute: async (raw: unknown) => {
          await ctx.ready;
          const input = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
          ctx.emit({ type: 'tool.call', tool: name, input });
          let result: ToolResult;
          const parsed = definition.parameters.safeParse(raw);
          if (!parsed.success) {
            result = { output: invalidInput(name, parsed.error), ok: false };
          } else {
            try {
              result = await definition.execute(parsed.data, ctx);
            } catch (error) {
              const message = error instanceof Error ? error.message : String(error);
              result = { output: `Error: ${message}`, ok: false };
            }
          }
          const { text, truncated } = truncate(maskSecrets(result.output, ctx.secrets));
          ctx.emit({
            type: 'tool.result',
            ok: result.ok ?? true,
            ...(result.exitCode !== undefined ? { exitCode: result.exitCode } : {}),
            ...(result.timedOut ? { timedOut: true } : {}),
            ...(truncated ? { truncated: true } : {}),
          });
          return text;
        },
      }),
  };
}
