/**
 * @module bench/scale-out/postgres
 * A throwaway PostgreSQL cluster for the drill, made as the tests' is: Debian's `initdb` and
 * `pg_ctl` run as the postgres user, trust authentication, listening on loopback and on the
 * address the namespaces reach the host at. It is stopped and removed by the drill's undo steps.
 */
import { appendFile, chown, mkdir, rm } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type pg from 'pg';
import { sh, type Undo } from './host.ts';

const BIN = '/usr/lib/postgresql/15/bin';

/** Starts the cluster in `dir` on `port`; resolves with its URL on loopback. */
export async function startPostgres(
  undo: Undo,
  { dir, port, listen, allow }: { dir: string; port: number; listen: string; allow: string },
): Promise<string> {
  const data = path.join(dir, 'data');
  await mkdir(dir, { recursive: true });
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
  await chown(dir, uid, gid);
  const asPostgres = (command: string) => sh('su', ['postgres', '-c', command]);
  await asPostgres(`${BIN}/initdb -D ${data} -A trust -U postgres >/dev/null`);
  await appendFile(path.join(data, 'pg_hba.conf'), `host all all ${allow} trust\n`);
  undo.push('postgres', async () => {
    await asPostgres(`${BIN}/pg_ctl -D ${data} -m immediate stop >/dev/null`).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    `-c listen_addresses=127.0.0.1,${listen}`,
    '-c fsync=off',
    '-c max_connections=300',
  ].join(' ');
  await asPostgres(`${BIN}/pg_ctl -D ${data} -o '${options}' -l ${dir}/log -w start >/dev/null`);
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

/** Connections to the database by client address, other than `self` (this process's). */
export async function connections(client: pg.Client): Promise<Map<string, number>> {
  const { rows } = await client.query<{ addr: string | null; n: string }>(
    `SELECT host(client_addr) AS addr, count(*) AS n FROM pg_stat_activity
     WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1`,
  );
  return new Map(rows.map((row) => [row.addr ?? 'local', Number(row.n)]));
}
