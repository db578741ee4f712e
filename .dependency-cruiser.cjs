/**
 * Import direction, enforced in `npm run lint`.
 *
 * The server's folders (and its few top-level modules) stand in the layers below, lowest first. A
 * module imports only from its own folder and from lower layers: never upward, never sideways into
 * a peer of its own layer. So a layer can be read, tested and changed knowing only what is under
 * it, and a cycle between folders cannot start. The order is the one the code has:
 *   - config, errors, ids, principal, process, secrets, cli-package import nothing of Lucid's own;
 *     nor does metrics (the server's Prometheus registry), so every layer, the runner side
 *     included, records into it;
 *   - tracing (OpenTelemetry spans of runs) reads only the configuration, so every layer, the
 *     runner side included, records spans;
 *   - db is the store; banner reads only the configuration;
 *   - audit, workspaces, git and sandbox build on the store (sandbox and git on processes);
 *   - auth (api tokens, run tokens, roles) and repos build on workspaces and audit;
 *   - llm (models, prices, provider keys) needs auth for the instance's own keys;
 *   - agent (the loop, its tools, the CLI agents) uses llm's models and the sandbox port;
 *   - runner drives agent and sandbox through the RunnerBackend port;
 *   - tasks is the task domain: its lifecycle, a run queued or asked to stop, the event log, the
 *     conversation, the live hub;
 *   - control is the control plane that runners face: claims, leases, ends and recovery of runs
 *     (control/queue.ts), the runners registry and the database runner backend. It stands above
 *     tasks, not between runner and tasks, because it builds on them: a run's end and its
 *     recovery move the task by its lifecycle, and the backend reads the task's conversation and
 *     feeds its live hub; tasks never need control (queueing a run is a task's own use case);
 *   - jobs (the durable follow-up queue) hears the domain events of tasks;
 *   - gateway (the metering LLM gateway), forges (GitHub/GitLab, mirrors, publishing) and notion
 *     (connections, databases, mappings, tasks from pages) act on tasks;
 *   - evals (suites run as eval tasks) build on tasks and git;
 *   - http serves all of them; server.ts (with server/) composes them; cli starts the server or a runner.
 * The worker side (runner, agent, sandbox) also runs in `lucid runner` on hosts with no database:
 * nothing it reaches may import db. The web app imports only contracts, and its features do not
 * import each other: app/ composes them, components/ui and lib hold what they share.
 */

/** The server's layers, lowest first; a name is a folder of packages/server/src or a top-level module. */
const serverLayers = [
  ['config', 'errors', 'ids', 'principal', 'process', 'secrets', 'cli-package', 'metrics'],
  // Runs' traces: every layer, the runner side included, records spans into it.
  ['tracing'],
  ['db', 'banner'],
  ['audit'],
  ['workspaces', 'git', 'sandbox'],
  ['usage', 'backup'],
  ['auth', 'repos'],
  ['teams'],
  ['llm'],
  ['agent'],
  ['runner'],
  ['tasks'],
  ['control'],
  ['jobs'],
  // Above jobs: a best-of-N task's ranking and the removal of the attempts not kept are jobs.
  ['attempts'],
  ['safety'],
  ['gateway', 'forges', 'notion'],
  // Above forges and notion: a preview's link is commented on its pull request and set on its page.
  ['vercel'],
  // Evals run suites as tasks and follow their runs' ends; only http and the composition root use them.
  ['evals'],
  ['http'],
  ['server'],
  ['cli'],
];

/** The modules of the runner hosts' side. */
const workerSide = ['runner', 'agent', 'sandbox'];

const SERVER = '^packages/server/src/';
/** A path pattern for some of the server's layer names: a folder, or a top-level `name.ts`. */
const inServer = (names) => `${SERVER}(${names.join('|')})(/|\\.ts$)`;

const layerRules = serverLayers.map((names, index) => ({
  name: `layer-order-${names.join('-')}`,
  comment:
    `${names.join(', ')} may import only from lower layers (and within its own folder): ` +
    'see the layer list in .dependency-cruiser.cjs.',
  severity: 'error',
  from: { path: inServer(names) },
  to: { path: inServer(serverLayers.slice(index).flat()), pathNot: `${SERVER}$1(/|\\.ts$)` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'layer-listed',
      comment:
        'Every folder of the server has its place in the layer list of .dependency-cruiser.cjs.',
      severity: 'error',
      from: { path: SERVER, pathNot: inServer(serverLayers.flat()) },
      to: {},
    },
    {
      name: 'worker-side-has-no-database',
      comment:
        'The runner, the agent and the sandbox drivers run on runner hosts too, which have no ' +
        'database: they reach Lucid through the RunnerBackend port.',
      severity: 'error',
      from: { path: inServer(workerSide) },
      to: { path: `${SERVER}db/`, reachable: true },
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
      name: 'web-features-stand-alone',
      comment:
        'A feature does not import another: a page that composes several lives in app/, a piece ' +
        'several use lives in components/ui or lib.',
      severity: 'error',
      from: { path: '^packages/web/src/features/([^/]+)/' },
      to: { path: '^packages/web/src/features/', pathNot: '^packages/web/src/features/$1/' },
    },
    {
      name: 'web-shared-below-features',
      comment: 'components/ui and lib are shared by the features, so they import none of them.',
      severity: 'error',
      from: { path: '^packages/web/src/(components|lib)/' },
      to: { path: '^packages/web/src/(features|app)/' },
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
