/**
 * @module features/tasks/components/chat
 * The conversation of a task: the user's and the agent's messages as Markdown, the answer being
 * written as it streams, tool calls as compact cards whose output opens on demand, run and task
 * status changes, commits, pushes, requests opened or pending a retry, errors, and the agent's context
 * compactions.
 */
import { useEffect, useRef } from 'react';
import { formatTokens, shortSha, timeOfDay } from '../../../lib/format.ts';
import { notionPendingText, notionUpdateSummary } from '../../../components/ui/notion-card.tsx';
import { commandOf, pullRequestLabel, type ChatItem, type ToolCard } from '../live/view.ts';
import { Markdown } from './markdown.tsx';
import { StatusBadge } from '../../../components/ui/status-badge.tsx';

function toolSummary(card: ToolCard): string {
  const command = commandOf(card.input);
  if (command !== undefined) return command;
  const path = card.input.path ?? card.input.pattern ?? card.input.query;
  return typeof path === 'string' ? path : '';
}

function ToolCardView({ card }: { card: ToolCard }) {
  const state = !card.result
    ? { text: 'running', tone: 'text-sky-700' }
    : card.result.ok
      ? { text: 'ok', tone: 'text-emerald-700' }
      : {
          text: card.result.timedOut
            ? 'timed out'
            : `failed${typeof card.result.exitCode === 'number' ? ` (exit ${card.result.exitCode})` : ''}`,
          tone: 'text-red-700',
        };
  return (
    <details className="group rounded-md bg-slate-50 ring-1 ring-slate-200">
      <summary className="flex cursor-pointer items-center gap-2 rounded-md px-3 py-1.5 text-xs select-none">
        <span className="font-mono font-semibold text-slate-800">{card.tool}</span>
        <span className="min-w-0 flex-1 truncate font-mono text-slate-600">
          {toolSummary(card)}
        </span>
        <span className={`shrink-0 ${state.tone}`}>{state.text}</span>
      </summary>
      <div className="border-t border-slate-200 px-3 py-2">
        <pre className="max-h-32 overflow-auto font-mono text-[11px] whitespace-pre-wrap text-slate-600">
          {JSON.stringify(card.input, null, 2)}
        </pre>
        {card.output && (
          <pre className="mt-2 max-h-64 overflow-auto rounded bg-slate-900 p-2 font-mono text-[11px] whitespace-pre-wrap text-slate-100">
            {card.output}
          </pre>
        )}
      </div>
    </details>
  );
}

/** "Context compacted: 48k → 12k tokens", with what was done in its title. */
function CompactedLine({ item }: { item: Extract<ChatItem, { kind: 'compacted' }> }) {
  const done = [
    item.outputsShortened > 0 &&
      `${item.outputsShortened} long tool output${item.outputsShortened === 1 ? '' : 's'} shortened to notes`,
    item.stepsSummarised > 0 &&
      `${item.stepsSummarised} older step${item.stepsSummarised === 1 ? '' : 's'} summarised`,
    item.retried && 'after the provider refused the request as too long',
  ].filter(Boolean);
  return (
    <p
      className="text-center text-xs text-slate-500"
      title={`The model reads at most ${formatTokens(item.window)} tokens. ${done.join('; ')}.`}
    >
      Context compacted: {formatTokens(item.tokensBefore)} → {formatTokens(item.tokensAfter)} tokens
      {done.length > 0 && <span className="text-slate-400"> ({done.join('; ')})</span>}
    </p>
  );
}

function Item({ item }: { item: ChatItem }) {
  switch (item.kind) {
    case 'user':
      return (
        <article
          aria-label="Your message"
          className="ml-8 rounded-lg bg-indigo-50 px-3 py-2 ring-1 ring-indigo-100"
        >
          <Markdown text={item.text} />
        </article>
      );
    case 'assistant':
      return (
        <article aria-label="Agent message" className="px-1">
          <Markdown text={item.text} />
        </article>
      );
    case 'draft':
      return (
        <article aria-label="Agent message, being written" aria-busy="true" className="px-1">
          <Markdown text={item.text} />
          <span aria-hidden="true" className="inline-block h-4 w-1.5 animate-pulse bg-slate-400" />
        </article>
      );
    case 'tool':
      return <ToolCardView card={item} />;
    case 'run':
      return (
        <p className="flex items-center justify-center gap-2 text-xs text-slate-500">
          Run <StatusBadge status={item.status} />
          {item.reason && <span>{item.reason}</span>}
        </p>
      );
    case 'task':
      return (
        <p className="flex items-center justify-center gap-2 text-xs text-slate-500">
          Task <StatusBadge status={item.status} />
          {item.reason && <span>{item.reason}</span>}
        </p>
      );
    case 'stopped':
      return <p className="text-center text-sm text-slate-600">Stopped at {timeOfDay(item.at)}.</p>;
    case 'error':
      return (
        <p
          role="alert"
          className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800"
        >
          <span className="font-semibold">Error</span> ({item.code}): {item.message}
        </p>
      );
    case 'compacted':
      return <CompactedLine item={item} />;
    case 'commit':
      return (
        <p className="text-center text-xs text-slate-500">
          Committed <span className="font-mono">{shortSha(item.sha)}</span> {item.subject}
        </p>
      );
    case 'push':
      return (
        <p className="text-center text-xs text-slate-500">
          Pushed <span className="font-mono">{item.branch}</span> at{' '}
          <span className="font-mono">{shortSha(item.sha)}</span>
        </p>
      );
    case 'upstream':
      return (
        <p className="text-center text-xs text-slate-500">
          Pushed <span className="font-mono">{item.branch}</span> to{' '}
          {item.provider === 'gitlab' ? 'GitLab' : 'GitHub'} at{' '}
          <span className="font-mono">{shortSha(item.sha)}</span>
        </p>
      );
    case 'credential':
      return <p className="text-center text-xs text-slate-500">{credentialLine(item)}</p>;
    case 'pending':
      return (
        <p
          role="status"
          className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900"
        >
          <span className="font-semibold">
            {item.provider === 'gitlab' ? 'MR' : 'PR'} pending, retry {item.attempt + 1} of{' '}
            {item.maxAttempts}:
          </span>{' '}
          {item.reason.replace(/\.$/, '')}. Lucid tries again shortly.
        </p>
      );
    case 'notion':
      return (
        <p className="text-center text-xs text-slate-500">
          {notionUpdateSummary(item)} ·{' '}
          <a href={item.pageUrl} target="_blank" rel="noreferrer" className="underline">
            the page
          </a>
        </p>
      );
    case 'notion-pending':
      return (
        <p
          role="status"
          className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900"
        >
          {notionPendingText(item)}
        </p>
      );
    case 'pr': {
      const label = pullRequestLabel(item);
      return (
        <p className="text-center text-sm text-slate-700">
          {item.provider === 'gitlab' ? 'MR' : 'PR'} {item.updated ? 'updated' : 'opened'} →{' '}
          <a
            href={item.url}
            target="_blank"
            rel="noreferrer"
            className="font-medium text-indigo-600 underline"
          >
            {label.charAt(0).toUpperCase() + label.slice(1)}
          </a>
        </p>
      );
    }
    case 'deployment':
      return (
        <p className="text-center text-sm text-slate-700">
          {item.state === 'READY' ? (
            <>
              {item.target === 'preview' ? 'Preview ready' : 'Production updated'} →{' '}
              {item.url && (
                <a
                  href={item.url}
                  target="_blank"
                  rel="noreferrer"
                  className="font-medium text-indigo-600 underline"
                >
                  {item.url}
                </a>
              )}
            </>
          ) : (
            <span className="text-red-700">
              The {item.target} deployment failed{item.message ? `: ${item.message}` : '.'}
            </span>
          )}
        </p>
      );
    case 'gate':
      return (
        <p className="text-center text-sm text-slate-700">
          {item.action === 'requested'
            ? `${item.by} asked for this preview's promotion to production.`
            : item.action === 'promoted'
              ? `${item.by} promoted this preview to production.`
              : `${item.by} rolled production back.`}
        </p>
      );
  }
}

const PROVIDER_NAMES: Record<string, string> = {
  github: 'GitHub',
  gitlab: 'GitLab',
  anthropic: 'Anthropic',
  openai: 'OpenAI',
  'openai-compatible': 'OpenAI-compatible',
  gemini: 'Gemini',
};

/** “Using the workspace's GitHub connection (octocat)”, “Using the creator's own Anthropic key (…x9Qa)”. */
function credentialLine(item: Extract<ChatItem, { kind: 'credential' }>): string {
  const whose = item.owner === 'workspace' ? "the workspace's" : "the creator's own";
  const what = item.credential === 'forge' ? 'connection' : 'key';
  return `Using ${whose} ${PROVIDER_NAMES[item.provider] ?? item.provider} ${what} (${item.account})`;
}

function itemKey(item: ChatItem): string {
  return item.kind === 'draft' ? `draft-${item.runId}` : String(item.seq);
}

/** The conversation, kept scrolled to the bottom while the reader is at the bottom. */
export function Chat({ items }: { items: ChatItem[] }) {
  const scroller = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);

  useEffect(() => {
    const element = scroller.current;
    if (element && pinned.current) element.scrollTop = element.scrollHeight;
  }, [items]);

  return (
    <div
      ref={scroller}
      role="log"
      aria-label="Conversation"
      tabIndex={0}
      onScroll={(event) => {
        const element = event.currentTarget;
        pinned.current = element.scrollHeight - element.scrollTop - element.clientHeight < 40;
      }}
      className="min-h-0 flex-1 space-y-3 overflow-y-auto px-4 py-3"
    >
      {items.length === 0 ? (
        <p className="py-6 text-center text-sm text-slate-500">Nothing has happened yet.</p>
      ) : (
        items.map((item) => <Item key={itemKey(item)} item={item} />)
      )}
    </div>
  );
}
