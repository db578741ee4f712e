/**
 * @module config
 * The one place that reads the environment. Every variable is validated at start, and each mistake
 * is reported in one line that names the variable and says what is wrong, with the value given
 * but never a secret in it: a key, token or secret variable is shown by its length alone, and a
 * password in a URL or connection string (DATABASE_URL) as `***`.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  /** Origins whose browsers may sign in: the public URL's, its loopback aliases, and extras. */
  trustedOrigins: string[];
  dataDir: string;
  /** PostgreSQL connection string; absent means the embedded PGlite database in the data dir. */
  databaseUrl: string | undefined;
  /** 32 bytes: AES-256-GCM key for secrets at rest; also the root of the session secret. */
  encryptionKey: Buffer;
  /** Set when the key was generated into the data dir by this start. */
  encryptionKeyGenerated: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Log lines as JSON, or readable (pino-pretty); `auto` is readable when stdout is a terminal. */
  logFormat: 'auto' | 'json' | 'pretty';
  /** Largest JSON body accepted by the REST API, in bytes. */
  bodyLimit: number;
  social: {
    github?: { clientId: string; clientSecret: string };
    google?: { clientId: string; clientSecret: string };
  };
  /**
   * Who may create an account once the first (the instance admin) exists (`LUCID_SIGNUP`): anyone,
   * only with an admin's invitation, or nobody.
   */
  signUp: 'open' | 'invite' | 'closed';
  sandbox: SandboxConfig;
  runner: RunnerConfig;
  llm: LlmConfig;
  /** Spending limits the LLM gateway enforces before each model call. */
  budgets: LlmBudgets;
  /** Every workspace's quotas unless its owner sets its own; 0 is no limit. */
  workspaceQuotas: WorkspaceQuotaDefaults;
  /** API requests one user, token or unauthenticated address may make per minute; 0 is no limit. */
  rateLimitPerMinute: number;
  /**
   * Which proxies in front of Lucid to believe about the client's address (`X-Forwarded-For`):
   * none (false), all (true), or these addresses and CIDR ranges.
   */
  trustProxy: boolean | string;
  /** The bearer token `GET /metrics` asks for; without one the metrics are not served. */
  metricsToken: string | undefined;
  agent: AgentConfig;
  /** Where GitHub and GitLab live, and the OAuth apps Lucid has for them. */
  forges: ForgeConfig;
  /** Notion's API, the version Lucid speaks, and the public integration users connect through. */
  notion: NotionConfig;
  /** Vercel's API, and how often a deployment under way is looked at again. */
  vercel: VercelConfig;
  /** Where runs' traces are sent (OpenTelemetry over OTLP/HTTP); null: tracing is off. */
  tracing: TracingConfig | null;
}

/** The OTLP collector traces go to (OTEL_EXPORTER_OTLP_ENDPOINT) and the service's name. */
export interface TracingConfig {
  endpoint: string;
  serviceName: string;
}

/** Vercel's API (VERCEL_API_URL) and the interval between looks at a deployment (VERCEL_POLL_MS). */
export interface VercelConfig {
  apiUrl: string;
  pollMs: number;
}

/** Notion's API and Lucid's public integration (OAuth); without one, internal tokens only. */
export interface NotionConfig {
  /** NOTION_API_URL: `https://api.notion.com` unless set (a test's fake). */
  apiUrl: string;
  /** NOTION_API_VERSION: `2025-09-03` (data sources) or `2022-06-28` (databases only). */
  version: '2025-09-03' | '2022-06-28';
  oauth: { clientId: string; clientSecret: string } | null;
  /** NOTION_PICKUP_INTERVAL_MS: how often mappings with automatic pickup are polled; 0 is never. */
  pickupIntervalMs: number;
}

/** One forge's addresses and credentials. */
export interface ForgeSettings {
  /** The web address: OAuth pages and git repositories (GITHUB_URL, GITLAB_URL). */
  webUrl: string;
  /** The REST API's base URL (GITHUB_API_URL, `$GITLAB_URL/api/v4`). */
  apiUrl: string;
  /** The OAuth app users connect through; null offers personal tokens only. */
  oauth: { clientId: string; clientSecret: string } | null;
}

/** GitHub (or GitHub Enterprise Server) and GitLab (gitlab.com or self-managed). */
export interface ForgeConfig {
  github: ForgeSettings;
  gitlab: ForgeSettings;
}

/** Model providers the built-in agent may call; a provider is usable once its key is set. */
export interface LlmConfig {
  anthropic?: { apiKey: string; baseUrl?: string | undefined };
  /** OpenAI: `openai/…` models speak the Responses API, `openai-chat/…` Chat Completions. */
  openai?: { apiKey: string; baseUrl?: string | undefined };
  /** Any server speaking OpenAI's Chat Completions (vLLM, Ollama, LM Studio…). */
  openaiCompatible?: { baseUrl: string; apiKey?: string | undefined };
  /** Google's Gemini (Generative Language API): `gemini/…` models. */
  gemini?: { apiKey: string; baseUrl?: string | undefined };
  /** `provider/name` of the model a task gets when it names none. */
  defaultModel?: string | undefined;
  /**
   * `provider/name` of a small, fast model for short texts (task titles, branch names); without
   * it those come from the task's words alone.
   */
  smallModel?: string | undefined;
  /**
   * `provider/name` of the model that writes a task's plan before it codes (`LUCID_PLAN_MODEL`);
   * the small model when absent, then the task's own.
   */
  planModel?: string | undefined;
  /**
   * ANTHROPIC_BASE_URL, OPENAI_BASE_URL and GEMINI_BASE_URL when set, with or without the server's key: where
   * users' own keys are checked and used too.
   */
  baseUrls?: {
    anthropic?: string | undefined;
    openai?: string | undefined;
    gemini?: string | undefined;
  };
}

/** Spending limits of model calls through the gateway, in USD; 0 is no limit. */
export interface LlmBudgets {
  /** What one run may spend. */
  runUsd: number;
  /** What the runs of one user's tasks may spend in a calendar month (UTC). */
  userMonthlyUsd: number;
}

/** The quotas a workspace has by default (`LUCID_WORKSPACE_*`); 0 is no limit. */
export interface WorkspaceQuotaDefaults {
  /** Tasks created per calendar day (UTC). */
  tasksPerDay: number;
  /** Runs running at once; more stay queued. */
  concurrentRuns: number;
  /** What the workspace's model calls may cost in a calendar month (UTC), in USD. */
  monthlyBudgetUsd: number;
}

/** The built-in agent's limits. */
export interface AgentConfig {
  /** Model calls one run may make before it ends with step_limit_reached. */
  maxSteps: number;
  /**
   * The context window, in tokens, every model is taken to have (`LUCID_CONTEXT_WINDOW`); unset,
   * each model's own from the model table.
   */
  contextWindow?: number | undefined;
  /** CLI agents this server's runner runs (`LUCID_CLI_AGENTS`); tasks may ask for these and `lucid`. */
  cli: InstallableCliAgent[];
  /** Host folder the runner installs the CLI agents' pinned versions into, once (`LUCID_AGENT_CACHE`). */
  cacheDir: string;
}

/** The CLI agents a runner can install and run in its sandboxes. */
export const INSTALLABLE_CLI_AGENTS = ['claude-code', 'codex', 'opencode', 'gemini'] as const;
export type InstallableCliAgent = (typeof INSTALLABLE_CLI_AGENTS)[number];

/** The server's own runner, and the terms every run gets. */
export interface RunnerConfig {
  /** Runs at once on this server; 0 runs none here (remote runners only). */
  slots: number;
  /** A run's lease: a runner that sends no heartbeat for this long loses the run. */
  leaseMs: number;
  /** The longest a run may take before it fails with runtime_limit_exceeded. */
  maxRuntimeMs: number;
}

/** Where agents' commands run, and the defaults every sandbox gets. */
export interface SandboxConfig {
  /**
   * `auto` picks docker when an engine answers, else local; `local` confines commands with
   * bubblewrap; `local-unsafe`, only by name, runs them unconfined as the server's user.
   */
  driver: 'docker' | 'local' | 'local-unsafe' | 'auto';
  /** Image of docker sandboxes. */
  image: string;
  network: 'bridge' | 'none';
  limits: { memoryBytes: number; cpus: number; pids: number };
  /** Lucid's URL as sandboxes reach it; derived from the driver when not set. */
  url: string | undefined;
  /** A task's sandbox unused this long is snapshotted into the task's repo and removed. */
  idleMs: number;
  /** Sandboxes each runner keeps made in advance, so a run starts without waiting for one. */
  warmPool: number;
  /**
   * On SIGTERM, how long a runner lets its runs in flight finish before it hands the rest back
   * to be queued again (`LUCID_SHUTDOWN_GRACE_MS`).
   */
  shutdownGraceMs: number;
}

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const SandboxEnvSchema = z.object({
  LUCID_CLI_AGENTS: z
    .string()
    .trim()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z.enum(INSTALLABLE_CLI_AGENTS, {
          error: `must list CLI agents among ${INSTALLABLE_CLI_AGENTS.join(', ')}, separated by commas`,
        }),
      ),
    ),
  LUCID_AGENT_CACHE: optionalText,
  LUCID_DATA_DIR: z.string().trim().min(1, 'must not be empty').default('./.lucid'),
  LUCID_SANDBOX: z
    .enum(['docker', 'local', 'local-unsafe', 'auto'], {
      error: 'must be docker, local, local-unsafe or auto',
    })
    .default('auto'),
  LUCID_SANDBOX_IMAGE: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .default('lucid-sandbox:latest'),
  LUCID_SANDBOX_NETWORK: z
    .enum(['bridge', 'none'], { error: 'must be bridge or none' })
    .default('bridge'),
  LUCID_SANDBOX_MEMORY_MB: z.coerce
    .number({ error: 'must be a number of MiB' })
    .int('must be a whole number of MiB')
    .min(64, 'must be at least 64 (MiB)')
    .default(2048),
  LUCID_SANDBOX_CPUS: z.coerce
    .number({ error: 'must be a number of cores' })
    .gt(0, 'must be more than 0 (cores; 0.5 is half a core)')
    .max(1024, 'must be at most 1024 (cores)')
    .default(2),
  LUCID_SANDBOX_URL: optionalText.pipe(
    z.url({ error: 'must be an absolute http(s) URL that sandboxes can reach' }).optional(),
  ),
  LUCID_SANDBOX_PIDS: z.coerce
    .number({ error: 'must be a number of processes' })
    .int('must be a whole number of processes')
    .min(32, 'must be at least 32 (processes)')
    .default(512),
  LUCID_SANDBOX_IDLE_MINUTES: z.coerce
    .number({ error: 'must be a number of minutes' })
    .min(0.01, 'must be between 0.01 and 10080 (minutes)')
    .max(10080, 'must be between 0.01 and 10080 (minutes)')
    .default(30),
  LUCID_SANDBOX_WARM_POOL: z.coerce
    .number({ error: 'must be a number of sandboxes' })
    .int('must be a whole number of sandboxes')
    .min(0, 'must be between 0 and 32')
    .max(32, 'must be between 0 and 32')
    .default(2),
  LUCID_SHUTDOWN_GRACE_MS: z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int('must be a whole number of milliseconds')
    .min(0, 'must be between 0 and 3600000 (milliseconds)')
    .max(3_600_000, 'must be between 0 and 3600000 (milliseconds)')
    .default(30_000),
});

/** A `provider/name` model setting; `example` shows the form in the error. */
const modelSetting = (example: string) =>
  optionalText.pipe(
    z
      .string()
      .regex(
        /^(anthropic|openai|openai-chat|openai-compatible|gemini)\/\S+$/,
        `must be provider/name with provider anthropic, openai, openai-chat, openai-compatible or gemini (such as ${example})`,
      )
      .optional(),
  );

/** A forge's http(s) address, without a trailing slash; `example` shows the form in the error. */
function forgeUrl(example: string) {
  return optionalText.pipe(
    z
      .url({
        protocol: /^https?$/,
        error: `must be an absolute http(s) URL such as ${example}`,
      })
      .transform((url) => url.replace(/\/+$/, ''))
      .optional(),
  );
}

const EnvSchema = SandboxEnvSchema.extend({
  PORT: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must be between 0 and 65535')
    .max(65535, 'must be between 0 and 65535')
    .default(3000),
  HOST: z.string().trim().min(1, 'must not be empty').default('127.0.0.1'),
  LUCID_PUBLIC_URL: optionalText.pipe(
    z.url({ error: 'must be an absolute http(s) URL' }).optional(),
  ),
  LUCID_TRUSTED_ORIGINS: optionalText.pipe(
    z
      .string()
      .refine(
        (list) => list.split(',').every((o) => URL.canParse(o.trim())),
        'must be a comma-separated list of URLs such as https://lucid.example.com',
      )
      .optional(),
  ),
  LUCID_SIGNUP: z
    .enum(['open', 'invite', 'closed'], { error: 'must be open, invite or closed' })
    .default('invite'),
  DATABASE_URL: optionalText.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
      .optional(),
  ),
  ENCRYPTION_KEY: optionalText,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LUCID_LOG_FORMAT: z
    .enum(['auto', 'json', 'pretty'], { error: 'must be json, pretty or auto' })
    .default('auto'),
  LUCID_RUNNER_SLOTS: z.coerce
    .number({ error: 'must be a number of runs' })
    .int('must be a whole number')
    .min(0, 'must be between 0 and 64')
    .max(64, 'must be between 0 and 64')
    .default(2),
  LUCID_RUN_LEASE_SECONDS: z.coerce
    .number({ error: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    .min(5, 'must be between 5 and 600 (seconds)')
    .max(600, 'must be between 5 and 600 (seconds)')
    .default(30),
  LUCID_MAX_RUNTIME_MINUTES: z.coerce
    .number({ error: 'must be a number of minutes' })
    .int('must be a whole number of minutes')
    .min(1, 'must be between 1 and 1440 (minutes)')
    .max(1440, 'must be between 1 and 1440 (minutes)')
    .default(60),
  LUCID_BODY_LIMIT: z.coerce
    .number({ error: 'must be a number of bytes' })
    .int()
    .min(1024, 'must be at least 1024 bytes')
    .default(1024 * 1024),
  ANTHROPIC_API_KEY: optionalText,
  ANTHROPIC_BASE_URL: optionalText.pipe(
    z
      .url({ error: 'must be an absolute http(s) URL such as https://api.anthropic.com/v1' })
      .optional(),
  ),
  OPENAI_API_KEY: optionalText,
  OPENAI_BASE_URL: optionalText.pipe(
    z
      .url({ error: 'must be an absolute http(s) URL such as https://api.openai.com/v1' })
      .optional(),
  ),
  OPENAI_COMPATIBLE_BASE_URL: optionalText.pipe(
    z
      .url({ error: 'must be an absolute http(s) URL such as http://127.0.0.1:11434/v1' })
      .optional(),
  ),
  OPENAI_COMPATIBLE_API_KEY: optionalText,
  GEMINI_API_KEY: optionalText,
  GEMINI_BASE_URL: optionalText.pipe(
    z
      .url({
        error: 'must be an absolute http(s) URL such as https://generativelanguage.googleapis.com',
      })
      .optional(),
  ),
  LUCID_DEFAULT_MODEL: modelSetting('anthropic/claude-sonnet-4-5'),
  LUCID_SMALL_MODEL: modelSetting('anthropic/claude-haiku-4-5'),
  LUCID_PLAN_MODEL: modelSetting('anthropic/claude-haiku-4-5'),
  LUCID_RUN_BUDGET_USD: z.coerce
    .number({ error: 'must be a number of US dollars' })
    .min(0, 'must be 0 (no limit) or more (US dollars)')
    .default(5),
  LUCID_USER_MONTHLY_BUDGET_USD: z.coerce
    .number({ error: 'must be a number of US dollars' })
    .min(0, 'must be 0 (no limit) or more (US dollars)')
    .default(0),
  LUCID_WORKSPACE_TASKS_PER_DAY: z.coerce
    .number({ error: 'must be a number of tasks' })
    .int('must be a whole number of tasks')
    .min(0, 'must be 0 (no limit) or more (tasks a day)')
    .default(0),
  LUCID_WORKSPACE_CONCURRENT_RUNS: z.coerce
    .number({ error: 'must be a number of runs' })
    .int('must be a whole number of runs')
    .min(0, 'must be 0 (no limit) or more (runs at once)')
    .default(0),
  LUCID_WORKSPACE_MONTHLY_BUDGET_USD: z.coerce
    .number({ error: 'must be a number of US dollars' })
    .min(0, 'must be 0 (no limit) or more (US dollars)')
    .default(0),
  LUCID_RATE_LIMIT_PER_MINUTE: z.coerce
    .number({ error: 'must be a number of requests' })
    .int('must be a whole number of requests')
    .min(0, 'must be 0 (no limit) or more (requests a minute)')
    .default(600),
  LUCID_TRUST_PROXY: optionalText,
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalText.pipe(
    z
      .url({ error: 'must be a URL (the OTLP/HTTP collector, e.g. http://localhost:4318)' })
      .optional(),
  ),
  OTEL_SERVICE_NAME: optionalText,
  LUCID_METRICS_TOKEN: optionalText.pipe(
    z.string().min(16, 'must be at least 16 characters (a bearer token for /metrics)').optional(),
  ),
  LUCID_AGENT_MAX_STEPS: z.coerce
    .number({ error: 'must be a number of steps' })
    .int('must be a whole number of steps')
    .min(1, 'must be between 1 and 1000 (steps)')
    .max(1000, 'must be between 1 and 1000 (steps)')
    .default(50),
  LUCID_CONTEXT_WINDOW: optionalText.pipe(
    z.coerce
      .number<string | undefined>({ error: 'must be a number of tokens' })
      .int('must be a whole number of tokens')
      .min(4096, 'must be at least 4096 (tokens)')
      .optional(),
  ),
  GITHUB_CLIENT_ID: optionalText,
  GITHUB_CLIENT_SECRET: optionalText,
  GOOGLE_CLIENT_ID: optionalText,
  GOOGLE_CLIENT_SECRET: optionalText,
  GITHUB_URL: forgeUrl('https://github.example.com'),
  GITHUB_API_URL: forgeUrl('https://github.example.com/api/v3'),
  /** No longer used: each repository has its own webhook secret. Set, it stops the start. */
  GITHUB_WEBHOOK_SECRET: optionalText,
  GITLAB_URL: forgeUrl('https://gitlab.example.com'),
  GITLAB_CLIENT_ID: optionalText,
  GITLAB_CLIENT_SECRET: optionalText,
  /** No longer used, like GITHUB_WEBHOOK_SECRET. */
  GITLAB_WEBHOOK_SECRET: optionalText,
  NOTION_CLIENT_ID: optionalText,
  NOTION_CLIENT_SECRET: optionalText,
  NOTION_API_URL: forgeUrl('https://notion.example.com'),
  NOTION_API_VERSION: z
    .enum(['2025-09-03', '2022-06-28'], {
      error: 'must be 2025-09-03 or 2022-06-28',
    })
    .default('2025-09-03'),
  NOTION_PICKUP_INTERVAL_MS: z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int('must be a whole number of milliseconds')
    .min(0, 'must be 0 (off) or between 100 and 86400000 (milliseconds)')
    .max(86_400_000, 'must be 0 (off) or between 100 and 86400000 (milliseconds)')
    .refine(
      (n) => n === 0 || n >= 100,
      'must be 0 (off) or between 100 and 86400000 (milliseconds)',
    )
    .default(60_000),
  VERCEL_API_URL: forgeUrl('https://vercel.example.com'),
  VERCEL_POLL_MS: z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int('must be a whole number of milliseconds')
    .min(50, 'must be at least 50')
    .max(600_000, 'must be at most 600000')
    .default(3_000),
});

/** The name of every variable the server's configuration reads; the README's table lists each. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);

/** Thrown when the environment is wrong; its lines say what to fix, one per mistake. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const KEY_FILE = 'encryption.key';

/** Decodes a 32-byte key written as 64 hex digits or as base64; undefined if it is neither. */
export function decodeKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const key = Buffer.from(text, 'base64');
    return key.length === 32 ? key : undefined;
  }
  return undefined;
}

/** Variables whose whole value is a secret (ENCRYPTION_KEY, *_API_KEY, *_SECRET, *_TOKEN…). */
const SECRET_VARIABLE = /(^|_)(KEY|SECRET|TOKEN|PASSWORD)(_|$)/;

/**
 * A value as a configuration error shows it: a secret variable's by its length alone; any
 * other's with the password of a URL's user (`scheme://user:***@host`) and `password=`,
 * `token=`, `key=`… parameters masked.
 *
 * @example
 * shownValue('DATABASE_URL', 'mysql://lucid:hunter2@db/lucid'); // → '"mysql://lucid:***@db/lucid"'
 */
function shownValue(name: string, value: string): string {
  if (SECRET_VARIABLE.test(name)) return `a value of ${value.length} characters, not shown`;
  const masked = withoutUserPassword(value).replace(
    /((?:^|[?&;\s])(?:password|passwd|pwd|sslpassword|secret|token|api[-_]?key|key)\s*=\s*)('[^']*'|[^&;#\s]*)/gi,
    '$1***',
  );
  return JSON.stringify(masked);
}

/** `value` with what follows the user in `[scheme://]user:password@host` masked, up to the last `@`. */
function withoutUserPassword(value: string): string {
  const at = value.lastIndexOf('@');
  if (at < 0) return value;
  const start = /^[a-z][a-z0-9+.-]*:\/*/i.exec(value)?.[0].length ?? 0;
  const colon = value.indexOf(':', start);
  return colon < 0 || colon > at ? value : `${value.slice(0, colon + 1)}***${value.slice(at)}`;
}

function problemsOf(issues: z.core.$ZodIssue[], env: NodeJS.ProcessEnv): string[] {
  return issues.map((issue) => {
    const name = String(issue.path[0] ?? 'environment');
    return `${name} ${issue.message} (got ${shownValue(name, env[name] ?? '')})`;
  });
}

function sandboxConfigOf(e: z.infer<typeof SandboxEnvSchema>): SandboxConfig {
  return {
    driver: e.LUCID_SANDBOX,
    image: e.LUCID_SANDBOX_IMAGE,
    network: e.LUCID_SANDBOX_NETWORK,
    limits: {
      memoryBytes: e.LUCID_SANDBOX_MEMORY_MB * 1024 * 1024,
      cpus: e.LUCID_SANDBOX_CPUS,
      pids: e.LUCID_SANDBOX_PIDS,
    },
    url: e.LUCID_SANDBOX_URL?.replace(/\/+$/, ''),
    idleMs: Math.round(e.LUCID_SANDBOX_IDLE_MINUTES * 60_000),
    warmPool: e.LUCID_SANDBOX_WARM_POOL,
    shutdownGraceMs: e.LUCID_SHUTDOWN_GRACE_MS,
  };
}

/**
 * Reads only the data dir and the sandbox settings, with no side effect (no key is generated):
 * for commands such as `lucid doctor` and `lucid sandbox build` that do not run the server.
 *
 * @example
 * const { dataDir, sandbox } = loadSandboxConfig(process.env);
 */
export function loadSandboxConfig(env: NodeJS.ProcessEnv): Pick<Config, 'dataDir' | 'sandbox'> & {
  cliAgents: Pick<AgentConfig, 'cli' | 'cacheDir'>;
} {
  const parsed = SandboxEnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(problemsOf(parsed.error.issues, env));
  return {
    dataDir: path.resolve(parsed.data.LUCID_DATA_DIR),
    sandbox: sandboxConfigOf(parsed.data),
    cliAgents: cliAgentsOf(parsed.data),
  };
}

/**
 * Reads only where the server listens (`PORT`, `HOST`), with no side effect: for `lucid doctor`,
 * which checks that sandboxes reach that port.
 *
 * @example
 * const { port } = loadListenConfig(process.env); // 3000
 */
export function loadListenConfig(env: NodeJS.ProcessEnv): Pick<Config, 'port' | 'host'> {
  const parsed = EnvSchema.pick({ PORT: true, HOST: true }).safeParse(env);
  if (!parsed.success) throw new ConfigError(problemsOf(parsed.error.issues, env));
  return { port: parsed.data.PORT, host: parsed.data.HOST };
}

/**
 * Reads only tracing's settings (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME`): for
 * `lucid runner`, whose spans join the traces of the runs it claims.
 *
 * @example
 * const tracing = startTracing(loadTracingConfig(process.env));
 */
export function loadTracingConfig(env: NodeJS.ProcessEnv): TracingConfig | null {
  const parsed = EnvSchema.pick({
    OTEL_EXPORTER_OTLP_ENDPOINT: true,
    OTEL_SERVICE_NAME: true,
  }).safeParse(env);
  if (!parsed.success) throw new ConfigError(problemsOf(parsed.error.issues, env));
  return tracingConfigOf(parsed.data);
}

/** Tracing is on when a collector is named; the service is `lucid` unless named. */
function tracingConfigOf(e: {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_SERVICE_NAME?: string | undefined;
}): TracingConfig | null {
  if (!e.OTEL_EXPORTER_OTLP_ENDPOINT) return null;
  return {
    endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, ''),
    serviceName: e.OTEL_SERVICE_NAME ?? 'lucid',
  };
}

/**
 * Reads only where Lucid keeps its data (the data dir, the PostgreSQL URL, the embedded
 * database's key file), with no side effect (no key is generated): for `lucid backup`, which must
 * put a backup's key in place before a new install would make one of its own.
 *
 * @example
 * const { dataDir, databaseUrl, keyFile } = loadStorageConfig(process.env);
 */
export function loadStorageConfig(
  env: NodeJS.ProcessEnv,
): Pick<Config, 'dataDir' | 'databaseUrl'> & { keyFile: string } {
  const parsed = EnvSchema.pick({ LUCID_DATA_DIR: true, DATABASE_URL: true }).safeParse(env);
  if (!parsed.success) throw new ConfigError(problemsOf(parsed.error.issues, env));
  const dataDir = path.resolve(parsed.data.LUCID_DATA_DIR);
  return {
    dataDir,
    databaseUrl: parsed.data.DATABASE_URL,
    keyFile: path.join(dataDir, KEY_FILE),
  };
}

function cliAgentsOf(e: z.infer<typeof SandboxEnvSchema>): Pick<AgentConfig, 'cli' | 'cacheDir'> {
  return {
    cli: [...new Set(e.LUCID_CLI_AGENTS)],
    cacheDir: path.resolve(e.LUCID_AGENT_CACHE ?? path.join(e.LUCID_DATA_DIR, 'agents')),
  };
}

/**
 * Reads and validates the configuration.
 *
 * In embedded mode (no `DATABASE_URL`) a missing `ENCRYPTION_KEY` is generated into
 * `<dataDir>/encryption.key` with mode 0600 and reused on the next start.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = EnvSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) throw new ConfigError(problemsOf(parsed.error.issues, env));
  const e = parsed.data;
  const dataDir = path.resolve(e.LUCID_DATA_DIR);

  let encryptionKey: Buffer | undefined;
  let encryptionKeyGenerated = false;
  if (e.ENCRYPTION_KEY !== undefined) {
    encryptionKey = decodeKey(e.ENCRYPTION_KEY);
    if (!encryptionKey) {
      problems.push(
        'ENCRYPTION_KEY must be 32 bytes written as 64 hex digits or as base64 ' +
          '(generate one with: openssl rand -base64 32)',
      );
    }
  } else if (e.DATABASE_URL !== undefined) {
    problems.push(
      'ENCRYPTION_KEY is required when DATABASE_URL is set, so every server shares it ' +
        '(generate one with: openssl rand -base64 32)',
    );
  }

  for (const provider of ['GITHUB', 'GOOGLE', 'GITLAB'] as const) {
    const id = e[`${provider}_CLIENT_ID`];
    const secret = e[`${provider}_CLIENT_SECRET`];
    if ((id === undefined) !== (secret === undefined)) {
      problems.push(`${provider}_CLIENT_ID and ${provider}_CLIENT_SECRET must be set together`);
    }
  }
  for (const provider of ['GITHUB', 'GITLAB'] as const) {
    if (e[`${provider}_WEBHOOK_SECRET`] !== undefined) {
      problems.push(
        `${provider}_WEBHOOK_SECRET is no longer used: each repository has its own webhook address ` +
          `and secret, on its page in Lucid. Remove the variable and give each webhook on ` +
          `${provider === 'GITHUB' ? 'GitHub' : 'GitLab'} its repository's address and secret`,
      );
    }
  }
  const llm = llmConfigOf(e, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  if (!encryptionKey) {
    ({ key: encryptionKey, generated: encryptionKeyGenerated } = embeddedKey(dataDir));
  }

  const social: Config['social'] = {};
  if (e.GITHUB_CLIENT_ID && e.GITHUB_CLIENT_SECRET) {
    social.github = { clientId: e.GITHUB_CLIENT_ID, clientSecret: e.GITHUB_CLIENT_SECRET };
  }
  if (e.GOOGLE_CLIENT_ID && e.GOOGLE_CLIENT_SECRET) {
    social.google = { clientId: e.GOOGLE_CLIENT_ID, clientSecret: e.GOOGLE_CLIENT_SECRET };
  }

  const publicUrl = (e.LUCID_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const extraOrigins = (e.LUCID_TRUSTED_ORIGINS ?? '')
    .split(',')
    .filter((o) => o.trim() !== '')
    .map((o) => new URL(o.trim()).origin);

  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    trustedOrigins: [...new Set([...originsOf(publicUrl), ...extraOrigins])],
    dataDir,
    databaseUrl: e.DATABASE_URL,
    encryptionKey,
    encryptionKeyGenerated,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LUCID_LOG_FORMAT,
    bodyLimit: e.LUCID_BODY_LIMIT,
    social,
    signUp: e.LUCID_SIGNUP,
    sandbox: sandboxConfigOf(e),
    runner: {
      slots: e.LUCID_RUNNER_SLOTS,
      leaseMs: e.LUCID_RUN_LEASE_SECONDS * 1000,
      maxRuntimeMs: e.LUCID_MAX_RUNTIME_MINUTES * 60_000,
    },
    llm,
    budgets: { runUsd: e.LUCID_RUN_BUDGET_USD, userMonthlyUsd: e.LUCID_USER_MONTHLY_BUDGET_USD },
    workspaceQuotas: {
      tasksPerDay: e.LUCID_WORKSPACE_TASKS_PER_DAY,
      concurrentRuns: e.LUCID_WORKSPACE_CONCURRENT_RUNS,
      monthlyBudgetUsd: e.LUCID_WORKSPACE_MONTHLY_BUDGET_USD,
    },
    rateLimitPerMinute: e.LUCID_RATE_LIMIT_PER_MINUTE,
    trustProxy: trustProxyOf(e.LUCID_TRUST_PROXY),
    metricsToken: e.LUCID_METRICS_TOKEN,
    agent: {
      maxSteps: e.LUCID_AGENT_MAX_STEPS,
      contextWindow: e.LUCID_CONTEXT_WINDOW,
      ...cliAgentsOf(e),
    },
    forges: forgeConfigOf(e),
    notion: {
      apiUrl: (e.NOTION_API_URL ?? 'https://api.notion.com').replace(/\/+$/, ''),
      version: e.NOTION_API_VERSION,
      oauth:
        e.NOTION_CLIENT_ID && e.NOTION_CLIENT_SECRET
          ? { clientId: e.NOTION_CLIENT_ID, clientSecret: e.NOTION_CLIENT_SECRET }
          : null,
      pickupIntervalMs: e.NOTION_PICKUP_INTERVAL_MS,
    },
    vercel: {
      apiUrl: (e.VERCEL_API_URL ?? 'https://api.vercel.com').replace(/\/+$/, ''),
      pollMs: e.VERCEL_POLL_MS,
    },
    tracing: tracingConfigOf(e),
  };
}

/** `true`, `false`, or a comma-separated list of addresses and CIDR ranges. */
function trustProxyOf(value: string | undefined): boolean | string {
  const text = value?.trim().toLowerCase() ?? '';
  if (text === '' || text === 'false') return false;
  if (text === 'true') return true;
  return text;
}

/**
 * GitHub's API is `api.github.com` beside github.com and `$GITHUB_URL/api/v3` on GitHub Enterprise
 * Server; GitLab's is always `$GITLAB_URL/api/v4`.
 */
function forgeConfigOf(e: z.infer<typeof EnvSchema>): ForgeConfig {
  const githubUrl = e.GITHUB_URL ?? 'https://github.com';
  const gitlabUrl = e.GITLAB_URL ?? 'https://gitlab.com';
  const app = (id: string | undefined, secret: string | undefined) =>
    id && secret ? { clientId: id, clientSecret: secret } : null;
  return {
    github: {
      webUrl: githubUrl,
      apiUrl:
        e.GITHUB_API_URL ??
        (new URL(githubUrl).hostname === 'github.com'
          ? 'https://api.github.com'
          : `${githubUrl}/api/v3`),
      oauth: app(e.GITHUB_CLIENT_ID, e.GITHUB_CLIENT_SECRET),
    },
    gitlab: {
      webUrl: gitlabUrl,
      apiUrl: `${gitlabUrl}/api/v4`,
      oauth: app(e.GITLAB_CLIENT_ID, e.GITLAB_CLIENT_SECRET),
    },
  };
}

const PROVIDER_KEYS = {
  anthropic: 'ANTHROPIC_API_KEY',
  openai: 'OPENAI_API_KEY',
  'openai-chat': 'OPENAI_API_KEY',
  'openai-compatible': 'OPENAI_COMPATIBLE_BASE_URL',
  gemini: 'GEMINI_API_KEY',
} as const;

/** The providers the environment configures, and the default model; mistakes go to `problems`. */
function llmConfigOf(e: z.infer<typeof EnvSchema>, problems: string[]): LlmConfig {
  const llm: LlmConfig = {};
  if (e.ANTHROPIC_API_KEY) {
    llm.anthropic = { apiKey: e.ANTHROPIC_API_KEY, baseUrl: e.ANTHROPIC_BASE_URL };
  }
  if (e.OPENAI_API_KEY) {
    llm.openai = { apiKey: e.OPENAI_API_KEY, baseUrl: e.OPENAI_BASE_URL };
  }
  if (e.ANTHROPIC_BASE_URL || e.OPENAI_BASE_URL) {
    llm.baseUrls = { anthropic: e.ANTHROPIC_BASE_URL, openai: e.OPENAI_BASE_URL };
  }
  if (e.GEMINI_BASE_URL) llm.baseUrls = { ...llm.baseUrls, gemini: e.GEMINI_BASE_URL };
  if (e.GEMINI_API_KEY) {
    llm.gemini = { apiKey: e.GEMINI_API_KEY, baseUrl: e.GEMINI_BASE_URL };
  }
  if (e.OPENAI_COMPATIBLE_BASE_URL) {
    llm.openaiCompatible = {
      baseUrl: e.OPENAI_COMPATIBLE_BASE_URL,
      apiKey: e.OPENAI_COMPATIBLE_API_KEY,
    };
  } else if (e.OPENAI_COMPATIBLE_API_KEY) {
    problems.push(
      'OPENAI_COMPATIBLE_API_KEY is set but OPENAI_COMPATIBLE_BASE_URL is not; set the server URL too',
    );
  }
  const requireProvider = (setting: string, model: string) => {
    const provider = model.slice(0, model.indexOf('/')) as keyof typeof PROVIDER_KEYS;
    const configured =
      provider === 'anthropic'
        ? llm.anthropic
        : provider === 'openai-compatible'
          ? llm.openaiCompatible
          : provider === 'gemini'
            ? llm.gemini
            : llm.openai;
    if (!configured) {
      problems.push(
        `${setting} names an ${provider} model, but ${PROVIDER_KEYS[provider]} is not set`,
      );
    }
  };
  if (e.LUCID_SMALL_MODEL) {
    requireProvider('LUCID_SMALL_MODEL', e.LUCID_SMALL_MODEL);
    llm.smallModel = e.LUCID_SMALL_MODEL;
  }
  if (e.LUCID_PLAN_MODEL) {
    requireProvider('LUCID_PLAN_MODEL', e.LUCID_PLAN_MODEL);
    llm.planModel = e.LUCID_PLAN_MODEL;
  }
  const chosen = e.LUCID_DEFAULT_MODEL;
  if (chosen) {
    requireProvider('LUCID_DEFAULT_MODEL', chosen);
    llm.defaultModel = chosen;
  } else if (llm.anthropic) {
    llm.defaultModel = 'anthropic/claude-sonnet-4-5';
  } else if (llm.openai) {
    llm.defaultModel = 'openai/gpt-5';
  } else if (llm.gemini) {
    llm.defaultModel = 'gemini/gemini-2.5-pro';
  }
  return llm;
}

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];

/** The public URL's origin; for a loopback URL, also the other names of this machine. */
function originsOf(publicUrl: string): string[] {
  const url = new URL(publicUrl);
  if (!LOOPBACK.includes(url.hostname)) return [url.origin];
  return LOOPBACK.map((host) => {
    const alias = new URL(url.origin);
    alias.hostname = host;
    return alias.origin;
  });
}

function embeddedKey(dataDir: string): { key: Buffer; generated: boolean } {
  const file = path.join(dataDir, KEY_FILE);
  if (existsSync(file)) {
    const key = decodeKey(readFileSync(file, 'utf8').trim());
    if (!key)
      throw new ConfigError([`${file} does not hold a 32-byte key; restore it or remove it`]);
    return { key, generated: false };
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { key, generated: true };
}
