/**
 * @module safety/paths
 * The protected paths of a safety policy: globs (`*` within a folder, `**` across folders, `?` one
 * character; a pattern ending in `/` covers the whole folder).
 */

function escape(text: string): string {
  return text.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

/** A path glob as a regular expression over a repository-relative path. */
function pathRegExp(glob: string): RegExp {
  let pattern = glob.trim().replace(/^\.?\/+/, '');
  if (pattern.endsWith('/')) pattern += '**';
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      source += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += escape(char);
  }
  return new RegExp(`^${source}$`);
}

/**
 * The first of `globs` that `file` matches, or null.
 *
 * @example
 * matchingPath('.github/workflows/ci.yml', ['.github/workflows/']); // → '.github/workflows/'
 * matchingPath('src/app.ts', ['infra/**', '*.tf']); // → null
 */
export function matchingPath(file: string, globs: readonly string[]): string | null {
  return globs.find((glob) => pathRegExp(glob).test(file)) ?? null;
}
