/**
 * @module features/tasks/live/view
 * What the task page shows, derived from the folded live state: the conversation (messages, tool
 * cards with their output, status changes, errors, commits and pushes, requests opened and
 * publishing retried, writes to the Notion page the task came from and their retries,
 * compactions of the agent's context, whose credential the work used, Vercel deployments ready or
 * failed and the steps of the gate to production, then
 * the answers being written), the
 * terminal's text, and the files that changed. A stop reads as one line.
 */
import type { Plan, RunStatus, TaskEvent, TaskStatus } from '@lucid/contracts';
import type { NotionWrite } from '../../../components/ui/notion-card.tsx';
import type { LiveState } from './fold.ts';

type ForgeName = 'github' | 'gitlab';

export interface ToolCard {
  kind: 'tool';
  seq: number;
  runId: string | null;
  tool: string;
  input: Record<string, unknown>;
  output: string;
  /** Absent while the tool runs. */
  result?: { ok: boolean; exitCode?: number | null | undefined; timedOut?: boolean | undefined };
}

export type ChatItem =
  | { kind: 'user'; seq: number; text: string }
  | { kind: 'assistant'; seq: number; runId: string | null; text: string }
  | ToolCard
  | { kind: 'run'; seq: number; status: RunStatus; reason?: string | undefined }
  | { kind: 'task'; seq: number; status: TaskStatus; reason?: string | undefined }
  /** The work was stopped at the user's request: one line for the run's and the task's status. */
  | { kind: 'stopped'; seq: number; at: string }
  | { kind: 'error'; seq: number; code: string; message: string }
  /** The agent shortened its conversation to fit its model's context window. */
  | {
      kind: 'compacted';
      seq: number;
      tokensBefore: number;
      tokensAfter: number;
      window: number;
      outputsShortened: number;
      stepsSummarised: number;
      retried: boolean;
    }
  | { kind: 'commit'; seq: number; sha: string; subject: string }
  | { kind: 'push'; seq: number; branch: string; sha: string }
  /** The branch was pushed to the repository's upstream on GitHub or GitLab. */
  | { kind: 'upstream'; seq: number; provider: ForgeName; branch: string; sha: string }
  /** A pull (GitHub) or merge (GitLab) request was opened, or refreshed with new work. */
  | {
      kind: 'pr';
      seq: number;
      provider: ForgeName;
      url: string;
      number: number;
      updated: boolean;
    }
  /** Publishing to the forge failed for now; Lucid tries again (attempt `attempt + 1`). */
  | {
      kind: 'pending';
      seq: number;
      provider: ForgeName;
      attempt: number;
      maxAttempts: number;
      reason: string;
    }
  /** Lucid wrote to the Notion page the task came from. */
  | {
      kind: 'notion';
      seq: number;
      option: string | null;
      prLink: string | null;
      comment: boolean;
      pageUrl: string;
    }
  /** Writing to the Notion page failed for now; Lucid tries again (attempt `attempt + 1`). */
  | { kind: 'notion-pending'; seq: number; attempt: number; maxAttempts: number; reason: string }
  /** The work used its creator's own or its workspace's forge connection or model key. */
  | {
      kind: 'credential';
      seq: number;
      credential: 'forge' | 'model';
      provider: string;
      owner: 'creator' | 'workspace';
      account: string;
    }
  /**
   * A Vercel deployment ready (its URL: the preview to open) or failed, or a step of the gate to
   * production (asked for, promoted, rolled back, and by whom).
   */
  | {
      kind: 'deployment';
      seq: number;
      target: 'preview' | 'production';
      state: string;
      url: string | null;
      message?: string | undefined;
    }
  | {
      kind: 'gate';
      seq: number;
      action: 'requested' | 'promoted' | 'rolled_back';
      by: string;
      url: string | null;
    }
  /** An answer still being written. */
  | { kind: 'draft'; runId: string; text: string };

/** The shell command a tool call runs, when it runs one. */
export function commandOf(input: Record<string, unknown>): string | undefined {
  const command = input.command ?? input.cmd;
  return typeof command === 'string' ? command : undefined;
}

/**
 * The conversation: one item per event that means something to a reader, `tool.output` and
 * `tool.result` folded into their call's card, a step's text before that step's tool calls,
 * drafts last.
 */
export function chatItems(state: LiveState): ChatItem[] {
  const items: ChatItem[] = [];
  const openTool = new Map<string, ToolCard>();
  /** Per run, where the current step's items start. */
  const stepStart = new Map<string, number>();
  for (const event of state.events) {
    const run = event.runId ?? '';
    switch (event.type) {
      case 'message.user':
        items.push({ kind: 'user', seq: event.seq, text: event.text });
        break;
      case 'message.assistant': {
        if (event.text.trim() === '') break;
        // A step's text is stored when the step ends, after the tool calls the model wrote after
        // it: it goes before them, where it was written. A step starts after its model call's usage.
        let at = items.length;
        while (at > (stepStart.get(run) ?? 0)) {
          const before = items[at - 1]!;
          if (before.kind !== 'tool' || before.runId !== event.runId) break;
          at -= 1;
        }
        items.splice(at, 0, {
          kind: 'assistant',
          seq: event.seq,
          runId: event.runId,
          text: event.text,
        });
        break;
      }
      case 'tool.call': {
        const card: ToolCard = {
          kind: 'tool',
          seq: event.seq,
          runId: event.runId,
          tool: event.tool,
          input: event.input,
          output: '',
        };
        openTool.set(run, card);
        items.push(card);
        break;
      }
      case 'tool.output': {
        const card = openTool.get(run);
        if (card) card.output += event.chunk;
        break;
      }
      case 'tool.result': {
        const card = openTool.get(run);
        if (card) {
          card.result = { ok: event.ok, exitCode: event.exitCode, timedOut: event.timedOut };
          openTool.delete(run);
        }
        break;
      }
      case 'run.status':
        if (event.status === 'cancelled') {
          items.push({ kind: 'stopped', seq: event.seq, at: event.at });
        } else {
          items.push({ kind: 'run', seq: event.seq, status: event.status, reason: event.reason });
        }
        break;
      case 'task.status':
        if (event.status !== 'cancelled') {
          items.push({ kind: 'task', seq: event.seq, status: event.status, reason: event.reason });
        } else if (items.at(-1)?.kind !== 'stopped') {
          items.push({ kind: 'stopped', seq: event.seq, at: event.at });
        }
        break;
      case 'error':
        items.push({ kind: 'error', seq: event.seq, code: event.code, message: event.message });
        break;
      case 'git.commit':
        items.push({ kind: 'commit', seq: event.seq, sha: event.sha, subject: event.subject });
        break;
      case 'git.push':
        items.push({ kind: 'push', seq: event.seq, branch: event.branch, sha: event.sha });
        break;
      case 'upstream.push':
        items.push({
          kind: 'upstream',
          seq: event.seq,
          provider: event.provider,
          branch: event.branch,
          sha: event.sha,
        });
        break;
      case 'pr.opened':
      case 'pr.updated':
        items.push({
          kind: 'pr',
          seq: event.seq,
          provider: event.provider,
          url: event.url,
          number: event.number,
          updated: event.type === 'pr.updated',
        });
        break;
      case 'pr.pending':
        items.push({
          kind: 'pending',
          seq: event.seq,
          provider: event.provider,
          attempt: event.attempt,
          maxAttempts: event.maxAttempts,
          reason: event.reason,
        });
        break;
      case 'notion.updated':
        items.push({
          kind: 'notion',
          seq: event.seq,
          option: event.option,
          prLink: event.prLink,
          comment: event.comment,
          pageUrl: event.pageUrl,
        });
        break;
      case 'notion.pending':
        items.push({
          kind: 'notion-pending',
          seq: event.seq,
          attempt: event.attempt,
          maxAttempts: event.maxAttempts,
          reason: event.reason,
        });
        break;
      case 'usage':
        stepStart.set(run, items.length);
        break;
      case 'credential.used':
        items.push({
          kind: 'credential',
          seq: event.seq,
          credential: event.kind,
          provider: event.provider,
          owner: event.owner,
          account: event.account,
        });
        break;
      case 'deployment.state':
        if (event.state === 'READY' || event.state === 'ERROR') {
          items.push({
            kind: 'deployment',
            seq: event.seq,
            target: event.target,
            state: event.state,
            url: event.url,
            message: event.message,
          });
        }
        break;
      case 'deployment.gate':
        items.push({
          kind: 'gate',
          seq: event.seq,
          action: event.action,
          by: event.by,
          url: event.url,
        });
        break;
      case 'context.compacted':
        items.push({
          kind: 'compacted',
          seq: event.seq,
          tokensBefore: event.tokensBefore,
          tokensAfter: event.tokensAfter,
          window: event.window,
          outputsShortened: event.outputsShortened,
          stepsSummarised: event.stepsSummarised,
          retried: event.retried === true,
        });
        break;
      default:
        break;
    }
  }
  for (const [runId, text] of Object.entries(state.drafts)) {
    if (text !== '') items.push({ kind: 'draft', runId, text });
  }
  return items;
}

/** One piece of terminal text, written once, in order. */
export interface TerminalChunk {
  seq: number;
  text: string;
}

/** A terminal moves to the next line only on CRLF. */
function terminalText(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/**
 * The terminal's text: each command a tool call runs as a `$ command` line, then its output; a
 * non-zero exit is said on its own line.
 */
export function terminalChunks(events: TaskEvent[]): TerminalChunk[] {
  const chunks: TerminalChunk[] = [];
  const inShell = new Set<string>();
  for (const event of events) {
    const run = event.runId ?? '';
    if (event.type === 'tool.call') {
      const command = commandOf(event.input);
      if (command === undefined) {
        inShell.delete(run);
        continue;
      }
      inShell.add(run);
      chunks.push({ seq: event.seq, text: `\x1b[1;32m$\x1b[0m ${terminalText(command)}\r\n` });
    } else if (event.type === 'tool.output' && inShell.has(run)) {
      const text = terminalText(event.chunk);
      chunks.push({
        seq: event.seq,
        text: event.stream === 'stderr' ? `\x1b[31m${text}\x1b[0m` : text,
      });
    } else if (event.type === 'tool.result' && inShell.has(run)) {
      inShell.delete(run);
      const failed = event.timedOut
        ? 'timed out'
        : typeof event.exitCode === 'number' && event.exitCode !== 0
          ? `exit ${event.exitCode}`
          : undefined;
      if (failed) chunks.push({ seq: event.seq, text: `\x1b[33m[${failed}]\x1b[0m\r\n` });
    }
  }
  return chunks;
}

/** The newest `file.changed` sequence number: the explorer reloads when it moves. */
export function filesVersion(events: TaskEvent[]): number {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i]!;
    if (event.type === 'file.changed' || event.type === 'git.commit') return event.seq;
  }
  return 0;
}

/** The task's status as its newest `task.status` event says, ahead of the polled task. */
export function liveTaskStatus(events: TaskEvent[]): TaskStatus | null {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i]!;
    if (event.type === 'task.status') return event.status;
  }
  return null;
}

/** The sequence number of the newest `task.status` event; 0 before any. */
export function liveTaskStatusSeq(events: TaskEvent[]): number {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i]!;
    if (event.type === 'task.status') return event.seq;
  }
  return 0;
}

/**
 * True when the newest `task.status` event sent the task back to To Do because its run made no
 * changes (nothing was pushed).
 */
export function endedWithoutChanges(events: TaskEvent[]): boolean {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i]!;
    if (event.type === 'task.status') return event.noChanges === true;
  }
  return false;
}

const RUN_ENDS = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);

/** The newest run that has ended, whose trajectory can be downloaded; null while none has. */
export function lastFinishedRun(events: TaskEvent[]): string | null {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i]!;
    if (event.type === 'run.status' && event.runId && RUN_ENDS.has(event.status)) {
      return event.runId;
    }
  }
  return null;
}

/** The newest push, for the banner. */
export function lastPush(events: TaskEvent[]): Extract<TaskEvent, { type: 'git.push' }> | null {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i]!;
    if (event.type === 'git.push') return event;
  }
  return null;
}

/** A pull or merge request as the page links it. */
export interface PullRequestLink {
  provider: ForgeName;
  url: string;
  number: number;
}

/** "pull request #12" on GitHub, "merge request !12" on GitLab. */
export function pullRequestLabel(pr: { provider: ForgeName; number: number }): string {
  return pr.provider === 'gitlab' ? `merge request !${pr.number}` : `pull request #${pr.number}`;
}

/** The newest pull or merge request the stream announced, ahead of the polled task. */
/**
 * The last word on the task's Notion write-back: what was written, a retry under way, or Notion
 * refusing Lucid's token; null before any.
 */
export function lastNotionWrite(events: TaskEvent[]): NotionWrite | null {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i]!;
    if (event.type === 'notion.updated') {
      const { seq, option, prLink, comment, pageUrl } = event;
      return { kind: 'updated', seq, option, prLink, comment, pageUrl };
    }
    if (event.type === 'notion.pending') {
      const { seq, attempt, maxAttempts, reason } = event;
      return { kind: 'pending', seq, attempt, maxAttempts, reason };
    }
    if (event.type === 'error' && event.code === 'invalid_notion_token') {
      return { kind: 'refused', seq: event.seq, message: event.message };
    }
  }
  return null;
}

export function lastPullRequest(events: TaskEvent[]): PullRequestLink | null {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i]!;
    if (event.type === 'pr.opened' || event.type === 'pr.updated') {
      return { provider: event.provider, url: event.url, number: event.number };
    }
  }
  return null;
}

/** The task's plan as the stream tells it: the latest proposed or approved, and its steps done. */
export interface LivePlan {
  plan: Plan;
  /** Approved (by a person, or `auto`), else proposed and waiting. */
  approvedBy: string | null;
  edited: boolean;
  /** Rejected with a note (no coding run follows); a retry plans again. */
  rejected: { note: string; by: string } | null;
  /** Indices of the steps the coding run ticked since the plan was approved. */
  done: ReadonlySet<number>;
}

/**
 * The newest plan of the stream (`plan.proposed`, then `plan.approved` or `plan.rejected`), with
 * the steps ticked after it (`plan.step`); null before any plan.
 */
export function livePlan(events: TaskEvent[]): LivePlan | null {
  let found = null as LivePlan | null;
  for (const event of events) {
    if (event.type === 'plan.proposed') {
      found = {
        plan: event.plan,
        approvedBy: null,
        edited: false,
        rejected: null,
        done: new Set(),
      };
    } else if (event.type === 'plan.approved') {
      found = {
        plan: event.plan,
        approvedBy: event.by,
        edited: event.edited,
        rejected: null,
        done: new Set(),
      };
    } else if (event.type === 'plan.rejected' && found) {
      found = { ...found, rejected: { note: event.note, by: event.by } };
    } else if (event.type === 'plan.step' && found) {
      found = { ...found, done: new Set([...found.done, event.index]) };
    }
  }
  return found;
}
