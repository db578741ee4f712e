/**
 * @module cli/cli-error
 * A failure the CLI reports as one clear line on stderr, with an exit code, and no stack trace.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
