/**
 * @module features/tasks/components/highlighted-code
 * A file's text with syntax highlighting (highlight.js core with the common languages, chosen by
 * the file's extension), with line numbers. Loaded only when a file is opened.
 */
import { useMemo } from 'react';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import css from 'highlight.js/lib/languages/css';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import 'highlight.js/styles/github.css';

const languages = {
  bash,
  css,
  go,
  java,
  javascript,
  json,
  markdown,
  python,
  rust,
  sql,
  typescript,
  xml,
  yaml,
};
for (const [name, language] of Object.entries(languages)) hljs.registerLanguage(name, language);

const byExtension: Record<string, keyof typeof languages> = {
  sh: 'bash',
  bash: 'bash',
  css: 'css',
  go: 'go',
  java: 'java',
  js: 'javascript',
  jsx: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  json: 'json',
  md: 'markdown',
  py: 'python',
  rs: 'rust',
  sql: 'sql',
  ts: 'typescript',
  tsx: 'typescript',
  mts: 'typescript',
  html: 'xml',
  xml: 'xml',
  svg: 'xml',
  yml: 'yaml',
  yaml: 'yaml',
};

/** The language to highlight a file in, by its extension; none for unknown ones. */
export function languageOf(path: string): string | undefined {
  const extension = path.split('.').pop()?.toLowerCase() ?? '';
  return byExtension[extension];
}

export default function HighlightedCode({ path, code }: { path: string; code: string }) {
  const html = useMemo(() => {
    const language = languageOf(path);
    if (!language || code.length > 500_000) return null;
    return hljs.highlight(code, { language, ignoreIllegals: true }).value;
  }, [path, code]);
  const lines = code.split('\n').length - (code.endsWith('\n') ? 1 : 0);

  return (
    <div className="flex min-w-max font-mono text-xs leading-5">
      <pre aria-hidden="true" className="pr-3 text-right text-slate-400 select-none">
        {Array.from({ length: lines }, (_, i) => i + 1).join('\n')}
      </pre>
      {html === null ? (
        <pre className="hljs bg-transparent! p-0!">
          <code>{code}</code>
        </pre>
      ) : (
        <pre className="hljs bg-transparent! p-0!">
          <code dangerouslySetInnerHTML={{ __html: html }} />
        </pre>
      )}
    </div>
  );
}
