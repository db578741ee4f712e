/**
 * @module notion/markdown
 * A Notion page's body as Markdown: its blocks read page after page of children
 * (`GET /v1/blocks/{id}/children`, `start_cursor`), nested children read too, then written as
 * headings, lists, to-dos, code, quotes, callouts, toggles, tables and links.
 */
import type { Client } from '@notionhq/client';
import { withNotion } from './client.ts';
import { plainText, type NotionBlock, type NotionList, type RichText } from './wire.ts';

/** A block with its children read. */
export interface BlockTree {
  block: NotionBlock;
  children: BlockTree[];
}

/** Nesting deeper than this is not read; a page longer than MAX_BLOCKS blocks is cut there. */
const MAX_DEPTH = 6;
const MAX_BLOCKS = 2000;

/**
 * Reads a block's children, every page of them, and theirs.
 *
 * @example
 * const tree = await readBlocks(client, pageId);
 */
export async function readBlocks(
  client: Client,
  blockId: string,
  budget = { left: MAX_BLOCKS },
  depth = 0,
): Promise<BlockTree[]> {
  const trees: BlockTree[] = [];
  let cursor: string | undefined;
  do {
    const page = await withNotion(() =>
      client.request<NotionList<NotionBlock>>({
        path: `blocks/${blockId}/children`,
        method: 'get',
        query: { page_size: 100, ...(cursor ? { start_cursor: cursor } : {}) },
      }),
    );
    for (const block of page.results) {
      if (budget.left <= 0) return trees;
      budget.left--;
      const nested =
        block.has_children &&
        depth < MAX_DEPTH &&
        block.type !== 'child_page' &&
        block.type !== 'child_database';
      trees.push({
        block,
        children: nested ? await readBlocks(client, block.id, budget, depth + 1) : [],
      });
    }
    cursor = page.has_more ? (page.next_cursor ?? undefined) : undefined;
  } while (cursor);
  return trees;
}

/** Rich text as Markdown, with its bold, italic, strikethrough, code and links. */
export function richTextMarkdown(text: RichText[] | undefined): string {
  return (text ?? [])
    .map((t) => {
      let s = t.plain_text;
      if (s === '') return s;
      const a = t.annotations ?? {};
      if (a.code) s = `\`${s}\``;
      if (a.bold) s = `**${s}**`;
      if (a.italic) s = `*${s}*`;
      if (a.strikethrough) s = `~~${s}~~`;
      if (t.href) s = `[${s}](${t.href})`;
      return s;
    })
    .join('');
}

interface BlockContent {
  rich_text?: RichText[];
  caption?: RichText[];
  checked?: boolean;
  language?: string;
  icon?: { type: string; emoji?: string } | null;
  url?: string;
  expression?: string;
  title?: string;
  cells?: RichText[][];
  type?: string;
  external?: { url: string };
  file?: { url: string };
}

function contentOf(block: NotionBlock): BlockContent {
  return (block[block.type] ?? {}) as BlockContent;
}

const LIST_TYPES = new Set(['bulleted_list_item', 'numbered_list_item', 'to_do']);

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : prefix + line))
    .join('\n');
}

function quoted(text: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? '>' : `> ${line}`))
    .join('\n');
}

function table(tree: BlockTree): string {
  const rows = tree.children
    .filter((row) => row.block.type === 'table_row')
    .map((row) => contentOf(row.block).cells ?? []);
  if (rows.length === 0) return '';
  const width = Math.max(...rows.map((cells) => cells.length));
  const line = (cells: RichText[][]) =>
    `| ${Array.from({ length: width }, (_, i) => richTextMarkdown(cells[i]).replace(/\|/g, '\\|')).join(' | ')} |`;
  const [head, ...body] = rows;
  return [line(head ?? []), `|${' --- |'.repeat(width)}`, ...body.map(line)].join('\n');
}

function fileUrl(content: BlockContent): string {
  return content.external?.url ?? content.file?.url ?? content.url ?? '';
}

/** One block (and its children) as Markdown; `number` is its place in a numbered list. */
function blockMarkdown(tree: BlockTree, number: number): string {
  const { block } = tree;
  const content = contentOf(block);
  const text = richTextMarkdown(content.rich_text);
  const children = treesMarkdown(tree.children);
  switch (block.type) {
    case 'paragraph':
      return children ? `${text}\n\n${indent(children, '  ')}` : text;
    case 'heading_1':
    case 'heading_2':
    case 'heading_3': {
      const heading = `${'#'.repeat(Number(block.type.slice(-1)))} ${text}`;
      return children ? `${heading}\n\n${children}` : heading;
    }
    case 'bulleted_list_item':
    case 'numbered_list_item':
    case 'to_do': {
      const marker =
        block.type === 'numbered_list_item'
          ? `${number}. `
          : block.type === 'to_do'
            ? `- [${content.checked ? 'x' : ' '}] `
            : '- ';
      const item = `${marker}${text}`;
      return children ? `${item}\n${indent(children, ' '.repeat(marker.length))}` : item;
    }
    case 'code': {
      const language =
        content.language && content.language !== 'plain text' ? content.language : '';
      return `\`\`\`${language}\n${plainText(content.rich_text)}\n\`\`\``;
    }
    case 'quote':
      return quoted(children ? `${text}\n\n${children}` : text);
    case 'callout': {
      const icon =
        content.icon?.type === 'emoji' && content.icon.emoji ? `${content.icon.emoji} ` : '';
      return quoted(children ? `${icon}${text}\n\n${children}` : `${icon}${text}`);
    }
    case 'toggle':
      return `<details>\n<summary>${text}</summary>\n\n${children}\n\n</details>`;
    case 'divider':
      return '---';
    case 'equation':
      return `$$\n${content.expression ?? ''}\n$$`;
    case 'bookmark':
    case 'embed':
    case 'link_preview': {
      const caption = richTextMarkdown(content.caption);
      return `[${caption || content.url}](${content.url})`;
    }
    case 'image':
      return `![${plainText(content.caption)}](${fileUrl(content)})`;
    case 'file':
    case 'pdf':
    case 'video':
    case 'audio': {
      const url = fileUrl(content);
      return `[${plainText(content.caption) || url}](${url})`;
    }
    case 'child_page':
      return `📄 ${content.title ?? 'Untitled'}`;
    case 'table':
      return table(tree);
    case 'column_list':
    case 'column':
    case 'synced_block':
      return children;
    default:
      return children;
  }
}

/**
 * Blocks as Markdown: a blank line between blocks, one newline between the items of a list.
 *
 * @example
 * treesMarkdown(await readBlocks(client, pageId)); // → '# Goal\n\n- [ ] Ship it'
 */
export function treesMarkdown(trees: BlockTree[]): string {
  let out = '';
  let previous: string | null = null;
  let number = 0;
  for (const tree of trees) {
    const type = tree.block.type;
    number = type === 'numbered_list_item' && previous === type ? number + 1 : 1;
    const text = blockMarkdown(tree, number);
    if (text === '' && type !== 'paragraph') continue;
    if (previous !== null) {
      out += LIST_TYPES.has(type) && previous !== null && LIST_TYPES.has(previous) ? '\n' : '\n\n';
    }
    out += text;
    previous = type;
  }
  return out.replace(/\n{3,}/g, '\n\n').trim();
}
