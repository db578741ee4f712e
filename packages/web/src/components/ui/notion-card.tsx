/**
 * @module components/ui/notion-card
 * The Notion page a task came from, as a strip on the task page: its title, its status as Notion
 * has it now, and a link to open it in Notion; under it, a banner with the last write-back Lucid
 * made to the page (“Notion updated — status In review, PR link added”), a retry under way, or
 * Notion refusing Lucid's token.
 */
import { Link } from 'wouter';
import { useTaskNotionLink } from '../../lib/queries/notion.ts';

/** The last word on a task's Notion write-back, as the task's events tell it. */
export type NotionWrite =
  | {
      kind: 'updated';
      seq: number;
      option: string | null;
      prLink: string | null;
      comment: boolean;
      pageUrl: string;
    }
  | { kind: 'pending'; seq: number; attempt: number; maxAttempts: number; reason: string }
  | { kind: 'refused'; seq: number; message: string };

/**
 * What one write-back did, in a few words.
 *
 * @example
 * notionUpdateSummary({ option: 'In review', prLink: 'https://…', comment: true })
 * // → 'Notion updated — status In review, PR link added, comment posted'
 */
export function notionUpdateSummary({
  option,
  prLink,
  comment,
}: {
  option: string | null;
  prLink: string | null;
  comment: boolean;
}): string {
  const parts = [
    option && `status ${option}`,
    prLink && 'PR link added',
    comment && 'comment posted',
  ].filter(Boolean);
  return `Notion updated — ${parts.join(', ')}`;
}

/**
 * “Notion update pending, retry 2 of 5: Notion is limiting the rate of Lucid's requests. Lucid
 * tries again shortly.”
 */
export function notionPendingText({
  attempt,
  maxAttempts,
  reason,
}: {
  attempt: number;
  maxAttempts: number;
  reason: string;
}): string {
  return `Notion update pending, retry ${attempt + 1} of ${maxAttempts}: ${reason.replace(/\.$/, '')}. Lucid tries again shortly.`;
}

function WriteBanner({ write, url }: { write: NotionWrite; url: string }) {
  if (write.kind === 'updated') {
    return (
      <p
        role="status"
        className="flex w-full flex-wrap items-center gap-2 rounded-md border border-emerald-200 bg-emerald-50 px-3 py-1.5 text-emerald-900"
      >
        <span className="font-medium">{notionUpdateSummary(write)}</span>
        <a
          href={write.pageUrl || url}
          target="_blank"
          rel="noreferrer"
          className="font-medium text-emerald-800 underline hover:text-emerald-950"
        >
          See the page
        </a>
      </p>
    );
  }
  if (write.kind === 'pending') {
    return (
      <p
        role="status"
        className="w-full rounded-md border border-amber-200 bg-amber-50 px-3 py-1.5 text-amber-900"
      >
        {notionPendingText(write)}
      </p>
    );
  }
  return (
    <p
      role="alert"
      className="flex w-full flex-wrap items-center gap-2 rounded-md border border-red-200 bg-red-50 px-3 py-1.5 text-red-800"
    >
      <span>{write.message}</span>
      <Link href="/settings/integrations" className="font-medium underline">
        Open Integrations
      </Link>
    </p>
  );
}

export function NotionTaskCard({
  taskId,
  write = null,
}: {
  taskId: string;
  /** The last write-back to the page, from the task's events. */
  write?: NotionWrite | null;
}) {
  const link = useTaskNotionLink(taskId, write?.kind === 'updated' ? write.seq : 0);
  if (!link.data) return null;
  const { title, status, url } = link.data;
  return (
    <section
      aria-label="Notion page"
      className="flex flex-wrap items-center gap-2 border-b border-slate-200 bg-slate-50 px-4 py-2 text-sm text-slate-800"
    >
      <span
        aria-hidden="true"
        className="flex size-5 items-center justify-center rounded bg-slate-900 text-xs font-bold text-white"
      >
        N
      </span>
      <span className="text-slate-600">From Notion:</span>
      <span className="font-medium">{title}</span>
      {status && (
        <span className="rounded-full bg-white px-2 py-0.5 text-xs text-slate-700 ring-1 ring-slate-300">
          {status}
        </span>
      )}
      <a
        href={url}
        target="_blank"
        rel="noreferrer"
        className="ml-auto font-medium text-indigo-700 underline hover:text-indigo-900"
      >
        Open in Notion
      </a>
      {write && <WriteBanner write={write} url={url} />}
    </section>
  );
}
