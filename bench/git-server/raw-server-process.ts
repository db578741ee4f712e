/**
 * @module bench/git-server/raw-server-process
 * Runs the reference git server in a process of its own:
 * `tsx raw-server-process.ts <projectRoot> <home>` prints `{"url", "spawnMs"}` on one line once it
 * listens, and exits when its standard input closes (so it never outlives the benchmark).
 */
import { spawnCost } from './git.ts';
import { startRawGitServer } from './raw-server.ts';

const [projectRoot, home] = process.argv.slice(2);
if (!projectRoot || !home) throw new Error('usage: raw-server-process.ts <projectRoot> <home>');
const server = await startRawGitServer({ projectRoot, home });
const spawnMs = await spawnCost();
process.stdout.write(`${JSON.stringify({ url: server.url, spawnMs })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void server.close().then(() => process.exit(0));
});
