/**
 * @module agent/tools/refused-commands
 * The shell commands a workspace's safety policy refuses: a pattern (`*` any text, runs of spaces
 * alike) matches the whole command or any of its parts joined by `;`, `&&`, `||`, `|` or a new line.
 */

function escape(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/** A refused-command pattern as a regular expression over one command. */
function commandRegExp(pattern: string): RegExp {
  const source = pattern
    .trim()
    .split('*')
    .map((part) => escape(part).replace(/\s+/g, '\\s+'))
    .join('.*');
  return new RegExp(`^${source}$`, 's');
}

/**
 * The first of `patterns` that `command` (or one of its parts) matches, or null.
 *
 * @example
 * refusedBy('cd src && git push --force origin main', ['git push --force*']); // → 'git push --force*'
 */
export function refusedBy(command: string, patterns: readonly string[]): string | null {
  const parts = [command, ...command.split(/\n|;|&&|\|\||\|/)]
    .map((part) => part.trim())
    .filter(Boolean);
  return (
    patterns.find((pattern) => {
      const expression = commandRegExp(pattern);
      return parts.some((part) => expression.test(part));
    }) ?? null
  );
}
