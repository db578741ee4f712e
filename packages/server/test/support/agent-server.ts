/**
 * A test server whose built-in agent works: every model provider points at a fake LLM (each with
 * its own key, so a test can tell which reached it), a runner with one local sandbox slot, one
 * signed-up user and one repository pushed to Lucid's git server.
 *
 * @example
 * let t: AgentServer;
 * beforeAll(async () => (t = await startAgentServer({ repo: 'agent-repo', keys })));
 * afterAll(() => t.close());
 * beforeEach(() => t.llm.reset());
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalDriver } from '../../src/sandbox/local/local-driver.ts';
import type { RunnerOptions } from '../../src/server.ts';
import { startFakeLlm, type FakeLlm, type RecordedRequest } from '../fakes/llm/index.ts';
import { signUp, type TestUser } from './client.ts';
import { fakeProviderEnv, type ProviderKeys } from './providers.ts';
import { pushedRepo } from './tasks.ts';
import { startTestServer, type TestServer } from './test-server.ts';

export interface AgentServer {
  llm: FakeLlm;
  server: TestServer;
  driver: LocalDriver;
  user: TestUser;
  repoId: string;
  /** The requests that reached a model (not the fake's other calls). */
  modelRequests(): RecordedRequest[];
  close(): Promise<void>;
}

export async function startAgentServer(options: {
  /** The pushed repository's name. */
  repo: string;
  keys: ProviderKeys;
  env?: Record<string, string>;
  runner?: Partial<RunnerOptions>;
}): Promise<AgentServer> {
  const llm = await startFakeLlm();
  const driver = new LocalDriver({ root: await mkdtemp(path.join(tmpdir(), 'lucid-sbx-')) });
  const server = await startTestServer({
    env: {
      ...fakeProviderEnv(llm.url, options.keys),
      LUCID_DEFAULT_MODEL: 'anthropic/claude-sonnet-4-5',
      ...options.env,
    },
    runner: {
      driver,
      slots: 1,
      leaseMs: 3_000,
      maxRuntimeMs: 120_000,
      pollMs: 100,
      warmPool: 0,
      ...options.runner,
    },
  });
  const user = await signUp(server.url);
  const repoId = (await pushedRepo(server.url, user, options.repo)).id;
  return {
    llm,
    server,
    driver,
    user,
    repoId,
    modelRequests: () => llm.requests.filter((r) => r.protocol !== undefined),
    close: async () => {
      await server.close();
      await llm.close();
    },
  };
}
