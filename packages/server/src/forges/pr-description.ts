/**
 * @module forges/pr-description
 * The title and description of the pull or merge request Lucid opens for a task, written from the
 * task and its events: what was asked, the agent's last summary, the commits, and the commands it
 * ran with their exit codes. Pure: the same task and events give the same text.
 */
import type { TaskEvent } from '@lucid/contracts';

/** What a description is written from. */
export interface DescribedTask {
  id: string;
  title: string;
  prompt: string;
  branch: string;
  baseBranch: string;
  /** The issue the task came from, when a webhook created it. */
  issue?: number | null;
}

/** GitHub refuses bodies over 65,536 characters; GitLab's limit is higher. */
const MAX_BODY = 60_000;
const MAX_COMMITS = 50;
const MAX_CHECKS = 30;
const MAX_PROMPT = 4_000;
const MAX_SUMMARY = 8_000;

function clip(text: string, max: number): string {
  const trimmed = text.trim();
  return trimmed.length > max ? `${trimmed.slice(0, max - 1)}…` : trimmed;
}

function quote(text: string): string {
  return text
    .split('\n')
    .map((line) => (line ? `> ${line}` : '>'))
    .join('\n');
}

/** One line of code, safe inside backticks. */
function inlineCode(text: string): string {
  const line = clip(text.replace(/\s*\n\s*/g, ' ⏎ '), 200);
  const fence = line.includes('`') ? '``' : '`';
  return `${fence}${line.startsWith('`') ? ' ' : ''}${line}${line.endsWith('`') ? ' ' : ''}${fence}`;
}

/** The shell commands run, each with its exit code (null when it was killed or timed out). */
export function commandsRun(
  events: TaskEvent[],
): { command: string; exitCode: number | null; timedOut: boolean }[] {
  const out: { command: string; exitCode: number | null; timedOut: boolean }[] = [];
  let open: string | null = null;
  for (const event of events) {
    if (event.type === 'tool.call') {
      const command = event.input.command;
      open = event.tool === 'bash' && typeof command === 'string' ? command : null;
    } else if (event.type === 'tool.result' && open !== null) {
      out.push({ command: open, exitCode: event.exitCode ?? null, timedOut: !!event.timedOut });
      open = null;
    }
  }
  return out;
}

/**
 * The request's title and body. `events` are the task's (all its runs), `runEvents` those of the
 * run being published: its commands are the checks shown.
 *
 * @example
 * const { title, body } = describePullRequest({ task, events, runEvents, taskUrl });
 */
export function describePullRequest({
  task,
  events,
  runEvents,
  taskUrl,
}: {
  task: DescribedTask;
  events: TaskEvent[];
  runEvents: TaskEvent[];
  taskUrl: string;
}): { title: string; body: string } {
  const title = clip(task.title, 200) || `Lucid: ${task.branch}`;
  const sections: string[] = [];
  sections.push(`## Task\n\n${quote(clip(task.prompt, MAX_PROMPT))}`);
  if (task.issue) sections.push(`Closes #${task.issue}`);

  const summary = events.filter((e) => e.type === 'message.assistant').at(-1);
  if (summary?.type === 'message.assistant' && summary.text.trim()) {
    sections.push(`## Summary\n\n${clip(summary.text, MAX_SUMMARY)}`);
  }

  const commits = events.flatMap((e) => (e.type === 'git.commit' ? [e] : []));
  const seen = new Set<string>();
  const unique = commits.filter((c) => !seen.has(c.sha) && seen.add(c.sha));
  if (unique.length > 0) {
    const shown = unique.slice(-MAX_COMMITS);
    const lines = shown.map((c) => `- \`${c.sha.slice(0, 10)}\` ${clip(c.subject, 200)}`);
    if (unique.length > shown.length) lines.unshift(`- … ${unique.length - shown.length} earlier`);
    sections.push(`## Commits\n\n${lines.join('\n')}`);
  }

  const checks = commandsRun(runEvents);
  if (checks.length > 0) {
    const shown = checks.slice(-MAX_CHECKS);
    const lines = shown.map(({ command, exitCode, timedOut }) => {
      const result = timedOut
        ? 'timed out'
        : exitCode === 0
          ? 'exit 0 ✅'
          : `exit ${exitCode ?? 'none (killed)'} ❌`;
      return `- ${inlineCode(command)} → ${result}`;
    });
    if (checks.length > shown.length) lines.unshift(`- … ${checks.length - shown.length} earlier`);
    sections.push(`## Commands run\n\n${lines.join('\n')}`);
  }

  sections.push(`---\nOpened by Lucid from [${clip(task.title, 200)}](${taskUrl}).`);
  let body = sections.join('\n\n');
  if (body.length > MAX_BODY) body = `${body.slice(0, MAX_BODY - 1)}…`;
  return { title, body };
}
