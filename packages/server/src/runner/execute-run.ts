/**
 * @module runner/execute-run
 * Carries out one claimed run in the task's sandbox: reuse the task's sandbox or get a new one,
 * make sure the workspace holds the repository on the task's branch (restored from the task's
 * snapshot when its sandbox was reaped), then run the commands in the persistent shell or let the
 * built-in agent work on the prompt (started at once when the claim carries what its prompt needs
 * of the repository, so its first model request overlaps the workspace's making; its tools wait
 * for the workspace; its work then committed and pushed (a planning run's is not: it tells its
 * plan as `plan.proposed`); an agent run that leaves
 * no commit beyond the base branch pushes nothing and says so with `noChanges`), and report every
 * step as events. Returns the outcome; the runner reports it.
 *
 * Every secret the runner knows (the run token, as itself and inside the git auth header the
 * workspace holds, and the provider keys) is masked in every event of a run, command runs included,
 * and in its outcome. The token reaches the sandbox's git by environment and by a file only the
 * sandbox's user reads, never on a command line.
 */
import type {
  ClaimedRun,
  EventBody,
  FinishRunBody,
  Plan,
  RunAgent,
  RunnerPhases,
} from '@lucid/contracts';
import type { AgentMemory, AgentOutcome, AgentRuntime } from '../agent/agent.ts';
import { maskSecrets } from '../secrets/masking.ts';
import type { Sandbox } from '../sandbox/driver.ts';
import { globalExcludesText } from '../sandbox/git-excludes.ts';
import type { RunnerBackend } from './backend.ts';
import { commitAndPush, commitMessage, headCommit } from './commit-and-push.ts';
import { EventSink } from './event-sink.ts';
import { RunTrace } from './run-trace.ts';
import { restoreWorkspace } from './workspace-snapshot.ts';

/** Why a run was stopped from outside. */
export type StopReason = 'cancelled' | 'runtime_limit' | 'lost' | 'shutdown';

export interface ExecuteRunOptions {
  claim: ClaimedRun;
  backend: RunnerBackend;
  /** The task's own sandbox when it is live and the runner's; null otherwise. */
  taskSandbox: (claim: ClaimedRun) => Promise<Sandbox | null>;
  /** A new sandbox for a task that has none (from the warm pool, or made now). */
  newSandbox: (claim: ClaimedRun) => Promise<Sandbox>;
  /** Told which sandbox the run uses, once it has one. */
  onSandbox?: (sandbox: Sandbox) => void;
  signal: AbortSignal;
  /** Aborted once the run is no longer the runner's (its lease lost): nothing more is pushed. */
  held?: AbortSignal;
  maxRuntimeMinutes: number;
  /** Runs agents; a runner without it fails agent runs with `agent_unavailable`. */
  agent?: AgentRuntime | undefined;
  /** The run's spans, under its trace's root (none when the run is not traced). */
  trace?: RunTrace | undefined;
}

const WORKSPACE = '/workspace';

export async function executeRun(options: ExecuteRunOptions): Promise<FinishRunBody> {
  const secrets = [...runSecrets(options.claim), ...(options.agent?.secrets ?? [])];
  const phases: RunnerPhases = {};
  const mark = (phase: keyof RunnerPhases) => {
    phases[phase] ??= Date.now();
  };
  const trace = options.trace ?? RunTrace.none;
  const outcome = await execute(
    { ...options, trace },
    new EventSink(options.backend, options.claim.run.id, secrets, (event) => {
      if (event.type === 'tool.call') mark('firstToolCall');
      trace.onEvent(event);
    }),
    mark,
  ).finally(() => trace.close());
  const timed = { ...outcome, phases };
  return outcome.errorMessage === undefined
    ? timed
    : { ...timed, errorMessage: maskSecrets(outcome.errorMessage, secrets) };
}

async function execute(
  options: ExecuteRunOptions & { trace: RunTrace },
  sink: EventSink,
  mark: (phase: keyof RunnerPhases) => void,
): Promise<FinishRunBody> {
  const { claim, signal } = options;
  if (claim.run.agent && !options.agent) {
    return {
      status: 'failed',
      errorCode: 'agent_unavailable',
      errorMessage:
        'This runner was started without the built-in agent, so it cannot do agent runs.',
    };
  }
  const { trace } = options;
  const workspace = (async () => {
    const sandbox = await trace.step('sandbox.start', {}, async (span) => {
      const made = await sandboxFor(options);
      span.setAttribute('lucid.sandbox.reused', made.id === claim.task.sandboxId);
      return made;
    });
    mark('sandboxReady');
    await trace.step(
      'workspace',
      { 'lucid.workspace.restore': claim.task.snapshot !== null && claim.task.sandboxId === null },
      () => prepareWorkspace(sandbox, claim),
    );
    mark('workspaceReady');
    return sandbox;
  })();
  // Settled by whoever awaits it; a failure is reported once, below.
  workspace.catch(() => {});
  try {
    if (claim.run.agent && options.agent) {
      return await runAgent(options, {
        workspace,
        sink,
        spec: claim.run.agent,
        runtime: options.agent,
        onModelRequest: () => {
          mark('modelRequestSent');
          return trace.modelRequest();
        },
      });
    }
    const sandbox = await workspace;
    const shell = await sandbox.shell();
    for (const [index, command] of claim.run.commands.entries()) {
      if (signal.aborted) break;
      sink.push({ type: 'tool.call', tool: 'bash', input: { command } });
      const result = await shell.run(command, {
        signal,
        onOutput: (stream, chunk) => sink.push({ type: 'tool.output', stream, chunk }),
      });
      sink.push({
        type: 'tool.result',
        ok: result.exitCode === 0,
        exitCode: result.exitCode,
        ...(result.timedOut ? { timedOut: true } : {}),
        ...(result.truncated ? { truncated: true } : {}),
      });
      await sink.flush();
      if (signal.aborted) break;
      if (result.exitCode !== 0) {
        return {
          status: 'failed',
          exitCode: result.exitCode,
          errorCode: result.oomKilled ? 'out_of_memory' : 'command_failed',
          errorMessage: result.oomKilled
            ? `Command ${index + 1} was killed: it went over the sandbox's memory limit.`
            : `Command ${index + 1} exited with code ${result.exitCode ?? 'none (killed)'}: ${command}`,
        };
      }
    }
    await sink.flush();
    return stopped(signal, options.maxRuntimeMinutes) ?? { status: 'succeeded', exitCode: 0 };
  } catch (error) {
    await sink.flush().catch(() => {});
    const halt = stopped(signal, options.maxRuntimeMinutes);
    if (halt) return halt;
    return {
      status: 'failed',
      errorCode: 'run_error',
      errorMessage: error instanceof Error ? error.message : String(error),
    };
  }
}

/** The run token as git sends it: itself, and the Basic credentials made of it. */
function runSecrets(claim: ClaimedRun): string[] {
  const header = authHeader(claim.git.token);
  return [claim.git.token, header.slice(header.lastIndexOf(' ') + 1)];
}

async function runAgent(
  options: ExecuteRunOptions & { trace: RunTrace },
  {
    workspace,
    sink,
    spec,
    runtime,
    onModelRequest,
  }: {
    workspace: Promise<Sandbox>;
    sink: EventSink;
    spec: RunAgent;
    runtime: AgentRuntime;
    onModelRequest: () => Record<string, string> | undefined;
  },
): Promise<FinishRunBody> {
  const { claim, signal } = options;
  const secrets = [...runSecrets(claim), ...runtime.secrets];
  const emit = (event: EventBody) => sink.push(event);
  // The built-in agent given the repository's files starts at once: its first model request
  // leaves while the workspace is made ready, and its tools wait for it. A workspace that cannot
  // be made stops the agent (its model request in flight is aborted) and fails the run.
  const overlap = spec.name === 'lucid' && spec.repository !== undefined;
  if (!overlap) await workspace;
  const failed = new AbortController();
  const start: { before: string | null } = { before: null };
  const ready = workspace
    .then(async (sandbox) => {
      start.before = await headCommit(sandbox);
      return sandbox;
    })
    .catch((error: unknown) => {
      failed.abort(error);
      throw error;
    });
  ready.catch(() => {});
  let after = spec.promptSeq;
  const inbox = async (): Promise<string[]> => {
    const messages = await options.backend.inbox(claim.run.id, after);
    after = messages.at(-1)?.seq ?? after;
    return messages.map((message) => message.text);
  };
  let steps = 0;
  let exchanges = 0;
  const remember = (memory: AgentMemory) => {
    if (memory.kind === 'exchange') options.trace.modelAnswered(memory.exchange);
    sink.remember(
      memory.kind === 'step'
        ? { ...memory, step: (steps += 1), afterSeq: after }
        : memory.kind === 'exchange'
          ? { ...memory, step: (exchanges += 1), afterSeq: after }
          : memory,
    );
  };
  const planning = spec.mode === 'plan';
  let plan: Plan | undefined;
  const sandboxGatewayUrl = `${claim.git.cloneUrl.replace(/\/git\/[^/]+$/, '')}/llm`;
  const where = { sandboxGatewayUrl, taskId: claim.run.taskId, onModelRequest };
  const outcome = await runtime.create(spec, claim.git.token, where).run({
    prompt: spec.prompt,
    history: spec.history,
    session: spec.session,
    unseen: spec.unseen,
    earlierRuns: spec.earlierRuns,
    remember,
    ...(spec.promptSeq > 0 ? { inbox } : {}),
    sandbox: onceReady(ready),
    ready,
    ...(spec.repository ? { repository: spec.repository.files } : {}),
    shell: async () => (await ready).shell(),
    emit,
    signal: AbortSignal.any([signal, failed.signal]),
    limits: { maxSteps: spec.maxSteps },
    secrets,
    refusedCommands: spec.refusedCommands,
    ...(planning ? { onPlan: (submitted: Plan) => (plan = submitted) } : {}),
    ...(spec.plan ? { plan: spec.plan } : {}),
  });
  if (failed.signal.aborted) throw failed.signal.reason;
  if (planning) return planned(options, { sink, outcome, plan, model: spec.model });
  const sandbox = await ready;
  const reason = signal.reason as StopReason | undefined;
  let changes = true;
  if ((!signal.aborted || reason === 'runtime_limit') && !options.held?.aborted) {
    const result = await commitAndPush(sandbox, {
      branch: claim.task.branch,
      baseBranch: claim.task.baseBranch,
      before: start.before,
      message: commitMessage(outcome.summary, spec.prompt),
      signal: options.held,
      trace: options.trace,
    });
    for (const event of result.events) emit(event);
    changes = result.changes;
  }
  if (spec.checkCommand && outcome.status === 'finished' && !signal.aborted) {
    emit(await runCheck(sandbox, spec.checkCommand, signal));
  }
  await sink.flush();
  const halt = stopped(signal, options.maxRuntimeMinutes);
  if (halt) return halt;
  if (outcome.status === 'finished') {
    return changes ? { status: 'succeeded' } : { status: 'succeeded', noChanges: true };
  }
  return {
    status: 'failed',
    errorCode: outcome.error?.code ?? 'agent_failed',
    errorMessage: outcome.error?.message ?? 'The agent stopped without finishing.',
  };
}

/** How much of the check command's output its `check.result` event keeps: the end. */
const CHECK_OUTPUT_TAIL_CHARS = 4000;

/**
 * Runs the repository's check command in the workspace's persistent shell, after the agent's work
 * is committed and pushed (what it leaves behind is never committed), and tells how it went.
 */
async function runCheck(
  sandbox: Sandbox,
  command: string,
  signal: AbortSignal,
): Promise<EventBody> {
  const shell = await sandbox.shell();
  const started = Date.now();
  let output = '';
  // In a subshell from the workspace's root: the agent's `cd` and an `exit` stay out of it.
  const result = await shell.run(`(cd ${WORKSPACE} && ${command}\n)`, {
    signal,
    onOutput: (_stream, chunk) => {
      output = (output + chunk).slice(-CHECK_OUTPUT_TAIL_CHARS);
    },
  });
  return {
    type: 'check.result',
    command,
    exitCode: result.exitCode,
    passed: result.exitCode === 0,
    durationMs: Date.now() - started,
    outputTail: output,
  };
}

/**
 * The end of a planning run, which commits and pushes nothing: its plan told as `plan.proposed`,
 * or a failure when the planner submitted none.
 */
async function planned(
  options: ExecuteRunOptions,
  {
    sink,
    outcome,
    plan,
    model,
  }: { sink: EventSink; outcome: AgentOutcome; plan: Plan | undefined; model: string },
): Promise<FinishRunBody> {
  const { claim, signal } = options;
  if (plan && !signal.aborted) {
    sink.push({ type: 'plan.proposed', plan, model, runId: claim.run.id });
  }
  await sink.flush();
  const halt = stopped(signal, options.maxRuntimeMinutes);
  if (halt) return halt;
  if (plan) return { status: 'succeeded' };
  return {
    status: 'failed',
    errorCode: outcome.error?.code ?? 'plan_missing',
    errorMessage: outcome.error?.message ?? 'The planner ended without submitting a plan.',
  };
}

/**
 * The sandbox `ready` settles with, for an agent started before it: each call waits for it.
 * Its id and labels are known once it is ready.
 */
function onceReady(ready: Promise<Sandbox>): Sandbox {
  let known: Sandbox | undefined;
  const settled = ready.then((sandbox) => (known = sandbox));
  settled.catch(() => {});
  const sandbox = async () => known ?? (await settled);
  return {
    get id() {
      return known?.id ?? '';
    },
    get labels() {
      return known?.labels ?? {};
    },
    exec: async (argv, execOptions) => (await sandbox()).exec(argv, execOptions),
    shell: async () => (await sandbox()).shell(),
    readFile: async (path) => (await sandbox()).readFile(path),
    writeFile: async (path, content) => (await sandbox()).writeFile(path, content),
    listFiles: async (path, listOptions) => (await sandbox()).listFiles(path, listOptions),
    remove: async () => (await sandbox()).remove(),
  };
}

function stopped(signal: AbortSignal, maxRuntimeMinutes: number): FinishRunBody | null {
  if (!signal.aborted) return null;
  const reason = signal.reason as StopReason;
  if (reason === 'runtime_limit') {
    return {
      status: 'failed',
      errorCode: 'runtime_limit_exceeded',
      errorMessage: `The run took longer than its limit of ${maxRuntimeMinutes} minutes.`,
    };
  }
  return { status: 'cancelled', errorCode: 'cancelled', errorMessage: 'The run was stopped.' };
}

async function sandboxFor(options: ExecuteRunOptions): Promise<Sandbox> {
  const { claim, backend } = options;
  const sandbox = (await options.taskSandbox(claim)) ?? (await options.newSandbox(claim));
  options.onSandbox?.(sandbox);
  if (sandbox.id !== claim.task.sandboxId) await backend.attachSandbox(claim.run.id, sandbox.id);
  return sandbox;
}

/** The header git sends to Lucid's git server: the run token as a Basic password. */
function authHeader(token: string): string {
  return `Authorization: Basic ${Buffer.from(`lucid:${token}`).toString('base64')}`;
}

/** The workspace's git settings file that holds the run token's header (in `.git`). */
const CREDENTIALS_FILE = 'lucid-credentials';

/** The longest a pooled sandbox's fetch may take. */
const PRIME_TIMEOUT_MS = 120_000;

/** Marks a workspace primed in a warm pool: its repository fetched, nothing checked out yet. */
const PRIMED_FILE = 'lucid-primed';

/**
 * Makes an empty workspace a repository whose `origin` is Lucid's git server, with its settings
 * written at once (`$LUCID_GIT_CONFIG`, then Lucid's git excludes file as `core.excludesFile`)
 * rather than by a `git config` process each.
 */
const INIT_WORKSPACE = `git init --quiet
printf '%s' "$LUCID_GIT_CONFIG" >> .git/config
printf '[core]\\n\\texcludesFile = "%s"\\n' "$HOME/.config/git/ignore" >> .git/config`;

/**
 * Primes a pooled sandbox's empty workspace with the repository: `origin` is Lucid's git server,
 * its objects fetched (and its default branch learnt) with the token's header from standard input
 * in a file removed right after, and the default branch's files checked out (detached) with an
 * index git trusts, so that the run taking it touches only the files its branch changes.
 */
const PRIME_WORKSPACE = `set -e
${INIT_WORKSPACE}
(umask 077 && cat > .git/${CREDENTIALS_FILE})
status=0
git fetch --quiet origin || status=$?
[ "$status" -eq 0 ] && { git remote set-head origin --auto >/dev/null 2>&1 || true; }
# The index is written again a second after the files: entries as new as their index are "racily
# clean", and the run's checkout would read every file again to be sure of them.
[ "$status" -eq 0 ] && git checkout --quiet --detach refs/remotes/origin/HEAD 2>/dev/null &&
  { sleep 1; git update-index -q --refresh || true; }
rm -f .git/${CREDENTIALS_FILE}
[ "$status" -eq 0 ] && touch .git/${PRIMED_FILE}
exit "$status"`;

/**
 * Fetches a repository into a new sandbox's workspace before any run is given it (a warm pool per
 * repository): the run that takes it then fetches only what changed since, or nothing when it
 * holds the commits its claim names. The token is the claiming run's, for this repository; it
 * does not stay in the sandbox.
 *
 * @example
 * pools.fill(claim.task.repoId, (sandbox) => primeWorkspace(sandbox, claim.git));
 */
export async function primeWorkspace(
  sandbox: Sandbox,
  git: { cloneUrl: string; token: string },
): Promise<void> {
  const result = await sandbox.exec(['sh', '-c', PRIME_WORKSPACE, 'prime'], {
    cwd: WORKSPACE,
    // A token that has expired since is refused, not asked for again.
    env: { GIT_TERMINAL_PROMPT: '0', LUCID_GIT_CONFIG: workspaceConfig(git.cloneUrl) },
    stdin: credentialsFile(git.cloneUrl, git.token),
    timeoutMs: PRIME_TIMEOUT_MS,
  });
  if (result.exitCode !== 0) {
    throw new Error(
      `Fetching the repository into a pooled sandbox failed: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
}

/** A value as git's settings files quote it. */
function configValue(value: string): string {
  return `"${value.replace(/["\\]/g, (character) => `\\${character}`)}"`;
}

/**
 * A new workspace's settings: Lucid as the author, Lucid's git server as `origin`, and the
 * run token's settings file included (it is written on its own, from standard input).
 */
function workspaceConfig(cloneUrl: string): string {
  return [
    '[user]',
    '\tname = Lucid',
    '\temail = lucid@localhost',
    '[remote "origin"]',
    `\turl = ${configValue(cloneUrl)}`,
    '\tfetch = +refs/heads/*:refs/remotes/origin/*',
    '[include]',
    `\tpath = ${CREDENTIALS_FILE}`,
    '',
  ].join('\n');
}

/**
 * What a primed workspace sets its remote branches to, as `git update-ref --stdin` reads it, from
 * the commits the claim names (the task's branch and its base branch in Lucid's copy); empty when
 * the claim names none (an older server, or an empty repository).
 */
function remoteHeads(claim: ClaimedRun): string {
  const { heads, branch, baseBranch } = claim.task;
  if (!heads || (heads.branch === null && heads.base === null)) return '';
  return [
    [branch, heads.branch],
    [baseBranch, heads.base],
  ]
    .map(([name, sha]) =>
      sha ? `update refs/remotes/origin/${name} ${sha}\n` : `delete refs/remotes/origin/${name}\n`,
    )
    .join('');
}

/** The settings file holding the run token's header for Lucid's git server. */
function credentialsFile(cloneUrl: string, token: string): string {
  const section = cloneUrl.replace(/["\\]/g, (character) => `\\${character}`);
  return `[http "${section}"]\n\textraHeader =\n\textraHeader = ${authHeader(token)}\n`;
}

/**
 * Makes the workspace ready in one command, since each command is a round trip into the sandbox:
 * in an empty workspace, a repository whose `origin` is Lucid's git server (a primed one already
 * has it, with the repository's objects); then, every time, the run token's header in a settings
 * file written from standard input (readable by the sandbox's user alone) and Lucid's git excludes
 * file (from `LUCID_EXCLUDES`). A workspace kept from an earlier run renews its settings (any
 * header an earlier version kept in the config dropped) and stops there (`kept`). A primed one
 * that holds the commits the claim names (`LUCID_HEADS`) sets its remote branches to them and
 * fetches nothing (no request to Lucid's git server); otherwise the workspace fetches the
 * repository (only what changed since, when primed). Then, unless a snapshot is to be restored
 * (`$4` = `snapshot`), it checks out the task's branch: from Lucid's copy of it, else made from the
 * base branch, else new. Arguments: clone URL, branch, base branch, `snapshot` or `checkout`.
 */
const PREPARE_WORKSPACE = `set -e
url="$1" branch="$2" base="$3"
if [ -f .git/${PRIMED_FILE} ]; then state=primed; elif [ -d .git ]; then state=kept; else state=new; fi
if [ "$state" = new ]; then
${INIT_WORKSPACE}
fi
(umask 077 && cat > .git/${CREDENTIALS_FILE})
if [ "$state" = kept ]; then
  git config --unset-all "http.$url.extraHeader" || [ $? -eq 5 ]
  git config --replace-all include.path ${CREDENTIALS_FILE} '^${CREDENTIALS_FILE}$'
  git config core.excludesFile "$HOME/.config/git/ignore"
fi
[ -d "$HOME/.config/git" ] || mkdir -p "$HOME/.config/git"
printf '%s' "$LUCID_EXCLUDES" > "$HOME/.config/git/ignore"
if [ "$state" = kept ]; then echo kept; exit 0; fi
if [ "$state" = primed ]; then rm .git/${PRIMED_FILE}; fi
if [ "$state" = primed ] && [ "$4" = checkout ] && [ -n "$LUCID_HEADS" ] &&
  printf '%s' "$LUCID_HEADS" | git update-ref --stdin 2>/dev/null; then :; else
  git fetch --quiet origin
  git remote set-head origin --auto >/dev/null 2>&1 || true
fi
[ "$4" = snapshot ] && exit 0
if git rev-parse --quiet --verify "refs/remotes/origin/$branch" >/dev/null; then
  git checkout --quiet -B "$branch" "origin/$branch"
elif git rev-parse --quiet --verify "refs/remotes/origin/$base" >/dev/null; then
  git checkout --quiet -B "$branch" "origin/$base"
else
  git symbolic-ref HEAD "refs/heads/$branch"
fi`;

/**
 * Makes sure the workspace holds the repository on the task's branch: fetched into an empty
 * workspace and checked out (the branch made from the base branch the first time), or the task's
 * snapshot restored; in a workspace kept from an earlier run, only the token is renewed. Every
 * time, the sandbox gets Lucid's git excludes file. The run token reaches the sandbox's git by a
 * file only the sandbox's user reads, written from standard input: never in a process's arguments
 * or environment.
 */
async function prepareWorkspace(sandbox: Sandbox, claim: ClaimedRun): Promise<void> {
  const { cloneUrl, token } = claim.git;
  const { branch, baseBranch, snapshot } = claim.task;
  const result = await sandbox.exec(
    [
      'sh',
      '-c',
      PREPARE_WORKSPACE,
      'prepare',
      cloneUrl,
      branch,
      baseBranch,
      snapshot ? 'snapshot' : 'checkout',
    ],
    {
      cwd: WORKSPACE,
      env: {
        LUCID_EXCLUDES: globalExcludesText(),
        LUCID_GIT_CONFIG: workspaceConfig(cloneUrl),
        LUCID_HEADS: remoteHeads(claim),
      },
      stdin: credentialsFile(cloneUrl, token),
    },
  );
  if (result.exitCode !== 0) {
    throw new Error(
      `Preparing the workspace failed in the sandbox: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
  if (snapshot && result.stdout.trim() !== 'kept') {
    await restoreWorkspace(sandbox, { snapshot, branch, cloneUrl, token });
  }
}
