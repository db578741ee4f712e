/**
 * @module cli/credentials
 * The credentials `lucid login` saves: one server URL and its API token, in
 * `$LUCID_CONFIG_DIR/credentials.json` (by default `${XDG_CONFIG_HOME:-~/.config}/lucid/`), readable
 * by the user alone.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { CliError } from './cli-error.ts';

const Credentials = z.object({
  server: z.string().min(1),
  token: z.string().min(1),
  user: z.object({ id: z.string(), name: z.string(), email: z.string() }),
  savedAt: z.string(),
});
export type Credentials = z.infer<typeof Credentials>;

/** Where the credentials file lives for this environment. */
export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir =
    env.LUCID_CONFIG_DIR ||
    path.join(env.XDG_CONFIG_HOME || path.join(env.HOME || homedir(), '.config'), 'lucid');
  return path.join(dir, 'credentials.json');
}

/** The saved credentials, or null when the user never signed in. */
export async function loadCredentials(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Credentials | null> {
  const file = credentialsPath(env);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CliError(`Cannot read ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const result = Credentials.safeParse(parsed);
  if (!result.success) {
    throw new CliError(`${file} is not a valid credentials file; run "lucid login" again`);
  }
  return result.data;
}

/**
 * Saves credentials atomically: the folder is made with mode 0700, the file with mode 0600.
 *
 * @example
 * const file = await saveCredentials({ server, token, user, savedAt: new Date().toISOString() });
 */
export async function saveCredentials(
  credentials: Credentials,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const file = credentialsPath(env);
  const dir = path.dirname(file);
  const partial = path.join(dir, `.credentials.${process.pid}.tmp`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await rm(partial, { force: true });
    await writeFile(partial, `${JSON.stringify(credentials, null, 2)}\n`, {
      mode: 0o600,
      flag: 'wx',
    });
    await rename(partial, file);
  } catch (error) {
    throw new CliError(`Cannot save credentials to ${file}: ${(error as Error).message}`);
  }
  return file;
}
