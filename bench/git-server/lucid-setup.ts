/**
 * @module bench/git-server/lucid-setup
 * Creates Lucid's data dir for the git benchmark in a process of its own:
 * `tsx lucid-setup.ts <dataDir>` creates the database, signs a user up, makes an API token and
 * prints `{"token"}`. The benchmark then reopens the data dir in its own process, as Lucid runs
 * after any restart, without the memory that creating a database leaves behind.
 */
import { setUpLucid } from './lucid.ts';

const [dataDir] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: lucid-setup.ts <dataDir>');
const { token } = await setUpLucid({ dataDir });
process.stdout.write(`${JSON.stringify({ token })}\n`);
