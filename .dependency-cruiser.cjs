/**
 * Import direction, enforced in `npm run lint`:
 * http → domain (auth, repos, git, workspaces, audit) → db / contracts; nothing imports http but the
 * composition root; the web app imports only contracts; no cycles.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'nothing-imports-http',
      comment: 'Only the composition root (server.ts) builds the HTTP app.',
      severity: 'error',
      from: {
        path: '^packages/server/src/',
        pathNot: ['^packages/server/src/http/', '^packages/server/src/server\\.ts$'],
      },
      to: { path: '^packages/server/src/http/' },
    },
    {
      name: 'domain-does-not-import-cli',
      severity: 'error',
      from: { path: '^packages/server/src/', pathNot: '^packages/server/src/cli/' },
      to: { path: '^packages/server/src/cli/' },
    },
    {
      name: 'db-is-innermost',
      comment: 'The database layer knows nothing of the domain above it.',
      severity: 'error',
      from: { path: '^packages/server/src/db/' },
      to: { path: '^packages/server/src/(?!db/)' },
    },
    {
      name: 'contracts-stand-alone',
      severity: 'error',
      from: { path: '^packages/contracts/' },
      to: { path: '^packages/(server|web)/' },
    },
    {
      name: 'web-imports-only-contracts',
      severity: 'error',
      from: { path: '^packages/web/' },
      to: { path: ['^packages/server/', '@lucid/server'] },
    },
    {
      name: 'src-does-not-import-tests',
      severity: 'error',
      from: { path: '^packages/[^/]+/src/' },
      to: { path: '/test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['node_modules', 'dist'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'] },
  },
};
