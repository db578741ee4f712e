/**
 * What tests see of the processes a run starts: the command lines of every process on the host
 * (`ps`, which shows a container's processes too), and every command line a runner hands a
 * sandbox, recorded on its way to the real driver.
 */
import { execFile } from 'node:child_process';
import type {
  ExecOptions,
  Sandbox,
  SandboxDriver,
  SandboxShell,
  SandboxSpec,
} from '../../src/sandbox/driver.ts';

/** The command line of every process on this host, one a line, at full width. */
export function hostProcessArgs(): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('ps', ['-ww', '-eo', 'args'], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    ),
  );
}

/** One program a sandbox was asked to start: its argv, or a command of its persistent shell. */
export interface StartedCommand {
  argv: string[];
  env: Record<string, string>;
  /** What the command was given on standard input, as text. */
  stdin?: string;
}

/**
 * `driver` itself, telling `started` of every command its sandboxes are given: each one goes to
 * the real sandbox unchanged.
 *
 * @example
 * const started: StartedCommand[] = [];
 * const driver = observedDriver(new LocalDriver({ root }), started);
 */
export function observedDriver(driver: SandboxDriver, started: StartedCommand[]): SandboxDriver {
  const observe = (sandbox: Sandbox): Sandbox =>
    passThrough(sandbox, {
      exec: (argv: string[], options?: ExecOptions) => {
        const stdin = options?.stdin === undefined ? {} : { stdin: String(options.stdin) };
        started.push({ argv: [...argv], env: { ...options?.env }, ...stdin });
        return sandbox.exec(argv, options);
      },
      shell: async (): Promise<SandboxShell> => {
        const shell = await sandbox.shell();
        return passThrough(shell, {
          run: (command: string, options?: Parameters<SandboxShell['run']>[1]) => {
            started.push({ argv: [command], env: {} });
            return shell.run(command, options);
          },
        });
      },
    });
  return passThrough(driver, {
    create: async (spec: SandboxSpec) => observe(await driver.create(spec)),
    get: async (id: string) => {
      const sandbox = await driver.get(id);
      return sandbox && observe(sandbox);
    },
  });
}

/**
 * `target` itself to every caller (its class, its other members), but for the members given:
 * the code under test meets the real driver.
 */
function passThrough<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(object, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof T];
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(object)
        : value;
    },
  });
}
