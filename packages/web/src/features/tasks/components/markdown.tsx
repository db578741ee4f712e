/**
 * @module features/tasks/components/markdown
 * Chat text as GitHub-flavoured Markdown. Links open in a new tab; raw HTML is not rendered.
 */
import ReactMarkdown from 'react-markdown';
import remarkGfm from 'remark-gfm';

const plugins = [remarkGfm];

export function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown text-sm leading-6 text-slate-800">
      <ReactMarkdown
        remarkPlugins={plugins}
        components={{
          a: ({ children, href }) => (
            <a href={href} target="_blank" rel="noreferrer" className="text-indigo-700 underline">
              {children}
            </a>
          ),
        }}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
}
