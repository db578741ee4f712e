/**
 * @module sandbox/git-excludes
 * The global git excludes file Lucid gives every sandbox: caches, dependency folders and tool
 * droppings a run leaves in the checkout (`.npm/`, `.cache/`, `node_modules/`, `__pycache__/`…),
 * so neither Lucid's final commit (`git add -A`) nor the agent's own commits pick them up. It is
 * git's default global excludes file (`$HOME/.config/git/ignore`), and the workspace's repository
 * names it as `core.excludesFile` too, so git run with another HOME (a CLI agent's own) uses it
 * as well. The repository's own `.gitignore` still applies (and may re-include a path), and a file
 * the repository already tracks is still committed when it changes: ignore rules never touch
 * tracked files.
 */
/** Patterns of what a run leaves behind and nobody means to commit. */
export const GLOBAL_EXCLUDES: readonly string[] = [
  '.npm/',
  '.cache/',
  '.yarn-cache/',
  '.pnpm-store/',
  'node_modules/',
  '.node-gyp/',
  '.eslintcache',
  '.parcel-cache/',
  '.turbo/',
  '.nyc_output/',
  '__pycache__/',
  '*.py[cod]',
  '.pytest_cache/',
  '.mypy_cache/',
  '.ruff_cache/',
  '.venv/',
  '.tox/',
  '.gradle/',
  '.m2/',
  '.cargo/',
  '.rustup/',
  '.bundle/',
  '.DS_Store',
];

/**
 * The excludes file's text; the runner writes it to `$HOME/.config/git/ignore` in the sandbox and
 * names it as the workspace's `core.excludesFile` when it prepares the workspace.
 */
export function globalExcludesText(): string {
  return `# Written by Lucid: what a run leaves behind and nobody means to commit.\n${GLOBAL_EXCLUDES.join('\n')}\n`;
}
