/**
 * @module banner
 * What the server says once it listens, in a few short lines: where to open Lucid, where its
 * data is, where tasks run and how confined, which model providers it has, and what is missing
 * with how to add it. Built from facts alone (never a key or a connection string), so it holds no
 * secret.
 */
import serverPackage from '../package.json' with { type: 'json' };
import type { Config } from './config.ts';

/** What the banner is made from, gathered at start. */
export interface BannerFacts {
  config: Pick<Config, 'publicUrl' | 'host' | 'dataDir' | 'llm' | 'sandbox'>;
  /** The port actually listened on. */
  port: number;
  database: 'pglite' | 'postgres';
  /** Runs this server takes at once; 0 leaves tasks to runners on other hosts. */
  slots: number;
  /** The sandbox driver of the server's runner; null without one. */
  driver: { kind: 'docker' | 'local' } | null;
  /** Why no sandbox can run here, when none can. */
  refusal: string | null;
}

/** The banner as a log record: its lines for people, its fields for log collectors. */
export interface Banner {
  lines: string[];
  fields: {
    version: string;
    url: string;
    listening: string;
    database: 'pglite' | 'postgres';
    sandbox: string;
    providers: string[];
    defaultModel: string | null;
    missing: string[];
  };
}

/** The model providers the environment configures, by the names models are prefixed with. */
function providersOf(llm: Config['llm']): string[] {
  return [
    llm.anthropic && 'anthropic',
    llm.openai && 'openai',
    llm.gemini && 'gemini',
    llm.openaiCompatible && 'openai-compatible',
  ].filter((name): name is string => Boolean(name));
}

/** Where tasks run, in a few words. */
function sandboxOf(facts: BannerFacts): string {
  if (facts.slots === 0)
    return 'none on this server (LUCID_RUNNER_SLOTS=0): runners on other hosts';
  if (facts.refusal || !facts.driver) return 'none can run here (see below)';
  const perTask =
    facts.driver.kind === 'docker'
      ? 'a Docker container per task'
      : facts.config.sandbox.driver === 'local-unsafe'
        ? "a folder per task, UNCONFINED, as this server's user (LUCID_SANDBOX=local-unsafe)"
        : 'a folder per task, confined by bubblewrap';
  return `${facts.driver.kind}: ${perTask}, ${facts.slots} at once`;
}

/** What a newcomer lacks, each with what to do. */
function missingOf(facts: BannerFacts, providers: string[]): string[] {
  const missing: string[] = [];
  if (facts.slots > 0 && facts.refusal) missing.push(facts.refusal);
  else if (
    facts.slots > 0 &&
    facts.driver?.kind === 'local' &&
    facts.config.sandbox.driver === 'auto'
  ) {
    missing.push(
      'No Docker engine answered, so tasks run in local folders: for containers, start Docker ' +
        '(or set DOCKER_HOST), run "lucid sandbox build", and restart',
    );
  }
  if (providers.length === 0) {
    missing.push(
      'No model provider: set ANTHROPIC_API_KEY, OPENAI_API_KEY, GEMINI_API_KEY or ' +
        'OPENAI_COMPATIBLE_BASE_URL and restart, or add your own key on the Model providers page',
    );
  }
  return missing;
}

/**
 * The start banner.
 *
 * @example
 * const banner = startBanner({ config, port: 3000, database: 'pglite', slots: 2, driver, refusal: null });
 * logger.info({ banner: banner.fields }, banner.lines.join('\n  '));
 */
export function startBanner(facts: BannerFacts): Banner {
  const { config } = facts;
  const providers = providersOf(config.llm);
  const defaultModel = config.llm.defaultModel ?? null;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const listening = `${host}:${facts.port}`;
  const sandbox = sandboxOf(facts);
  const missing = missingOf(facts, providers);
  const lines = [
    `Lucid ${serverPackage.version} is ready: open ${config.publicUrl} (listening on ${listening})`,
    facts.database === 'pglite'
      ? `Data: ${config.dataDir} (embedded database)`
      : `Data: ${config.dataDir}, database on PostgreSQL (DATABASE_URL)`,
    `Sandboxes: ${sandbox}`,
    providers.length > 0
      ? `Model providers: ${providers.join(', ')}${defaultModel ? `; default model ${defaultModel}` : ''}`
      : 'Model providers: none',
    ...missing.map((line) => `Missing: ${line}`),
  ];
  return {
    lines,
    fields: {
      version: serverPackage.version,
      url: config.publicUrl,
      listening,
      database: facts.database,
      sandbox,
      providers,
      defaultModel,
      missing,
    },
  };
}
