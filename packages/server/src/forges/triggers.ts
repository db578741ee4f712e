/**
 * @module forges/triggers
 * What on a forge asks Lucid for work, the same on GitHub and GitLab: an issue labelled `lucid`, or
 * a comment on an issue that mentions `@lucid`.
 */

/** The label that hands an issue to Lucid (compared case-insensitively). */
export const LUCID_LABEL = 'lucid';

/** Whether a label's name is Lucid's. */
export function isLucidLabel(name: string): boolean {
  return name.trim().toLowerCase() === LUCID_LABEL;
}

/**
 * Whether a comment mentions `@lucid` as a word (not `@lucidity`, `@lucid-bot` or an address).
 *
 * @example
 * mentionsLucid('@lucid please fix this'); // true
 */
export function mentionsLucid(text: string): boolean {
  return /(^|[^\w@./-])@lucid(?![\w-])/i.test(text);
}
