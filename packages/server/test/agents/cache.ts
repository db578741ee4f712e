/**
 * The agent cache the CLI agents' tests share: kept between runs (under the system's temporary
 * folder, or LUCID_TEST_AGENT_CACHE), so each pinned CLI is downloaded once per machine.
 */
import { tmpdir } from 'node:os';
import path from 'node:path';

export const AGENT_CACHE =
  process.env.LUCID_TEST_AGENT_CACHE ?? path.join(tmpdir(), 'lucid-test-agent-cache');
