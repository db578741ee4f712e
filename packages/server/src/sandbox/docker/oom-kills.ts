/**
 * @module sandbox/docker/oom-kills
 * How many processes the memory limit has killed in a container so far: `oom_kill` in the
 * container's own cgroup, `memory.events` on cgroup v2 or `memory.oom_control` on v1, read from
 * inside the container (so it works on a remote engine too).
 */
import type Docker from 'dockerode';
import { runExec } from './engine-exec.ts';

const READ_COUNTER = `for file in /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control; do
  [[ -r $file ]] || continue
  while read -r key value; do [[ $key == oom_kill ]] && echo "$value" && exit 0; done <"$file"
done
exit 1`;

/**
 * The container's OOM-kill count, or null when its cgroup does not say.
 *
 * @example
 * const before = await readOomKills(docker, container);
 */
export async function readOomKills(
  docker: Docker,
  container: Docker.Container,
): Promise<number | null> {
  try {
    const { exitCode, stdout } = await runExec(docker, container, {
      argv: ['bash', '-c', READ_COUNTER],
    });
    const count = Number.parseInt(stdout.toString('utf8'), 10);
    return exitCode === 0 && Number.isInteger(count) ? count : null;
  } catch {
    return null;
  }
}
