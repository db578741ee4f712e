/**
 * @module notion/wire
 * The parts of Notion's objects Lucid reads, as both API versions (2022-06-28 and 2025-09-03)
 * send them, and small readers of their text.
 */

/** A piece of rich text. */
export interface RichText {
  plain_text: string;
  href?: string | null;
  annotations?: { bold?: boolean; italic?: boolean; strikethrough?: boolean; code?: boolean };
}

/** A page's or a database's icon. */
export type NotionIcon =
  | { type: 'emoji'; emoji: string }
  | { type: 'external'; external: { url: string } }
  | { type: 'file'; file: { url: string } }
  | { type: string; [key: string]: unknown };

/** A property of a database's (or data source's) schema. */
export interface SchemaProperty {
  id: string;
  name: string;
  type: string;
  status?: { options: { name: string }[] };
  select?: { options: { name: string }[] };
}

/** A database (2022-06-28) or a data source (2025-09-03), or a 2025 database holding them. */
export interface NotionContainer {
  object: 'database' | 'data_source';
  id: string;
  title?: RichText[];
  url?: string;
  icon?: NotionIcon | null;
  properties?: Record<string, SchemaProperty>;
  /** 2025-09-03: a database's data sources. */
  data_sources?: { id: string; name: string }[];
  /** 2025-09-03: a data source's database. */
  parent?: { type: string; database_id?: string };
}

/** A property's value on a page. */
export interface PropertyValue {
  id: string;
  type: string;
  title?: RichText[];
  rich_text?: RichText[];
  status?: { name: string } | null;
  select?: { name: string } | null;
  url?: string | null;
}

/** A page. */
export interface NotionPage {
  object: 'page';
  id: string;
  url: string;
  last_edited_time: string;
  parent: { type: string; database_id?: string; data_source_id?: string };
  properties: Record<string, PropertyValue>;
}

/** One of Notion's paginated lists. */
export interface NotionList<T> {
  object: 'list';
  results: T[];
  has_more: boolean;
  next_cursor: string | null;
}

/** A block of a page's body; its content sits under the key named by its type. */
export interface NotionBlock {
  object: 'block';
  id: string;
  type: string;
  has_children: boolean;
  [type: string]: unknown;
}

/** Rich text as plain text. */
export function plainText(text: RichText[] | undefined): string {
  return (text ?? []).map((t) => t.plain_text).join('');
}

/** An icon as the web shows it: the emoji itself, or the image's URL. */
export function iconText(icon: NotionIcon | null | undefined): string | null {
  if (!icon) return null;
  if (icon.type === 'emoji' && 'emoji' in icon && typeof icon.emoji === 'string') return icon.emoji;
  if (icon.type === 'external' && 'external' in icon) {
    return (icon.external as { url: string }).url;
  }
  if (icon.type === 'file' && 'file' in icon) return (icon.file as { url: string }).url;
  return null;
}

/** A page's title (its `title` property). */
export function pageTitle(page: NotionPage): string {
  const title = Object.values(page.properties).find((p) => p.type === 'title');
  return plainText(title?.title) || 'Untitled';
}

/** The option a page's status (or select) property holds, or null. */
export function pageStatus(page: NotionPage, property: string | null): string | null {
  if (!property) return null;
  const value = page.properties[property];
  return value?.status?.name ?? value?.select?.name ?? null;
}
