/**
 * @module components/ui/notion-card
 * The Notion page a task came from, as a strip on the task page: its title, its status as Notion
 * has it now, and a link to open it in Notion.
 */
import { useTaskNotionLink } from '../../lib/queries/notion.ts';

export function NotionTaskCard({ taskId }: { taskId: string }) {
  const link = useTaskNotionLink(taskId);
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
    </section>
  );
}
