/**
 * @module errors
 * `AppError` is the one way domain code reports a failure the caller should see. The HTTP edge maps
 * it to `{"error": {"code", "message"}}` with the status its code stands for.
 */
import { errorStatus, type ErrorCode } from '@lucid/contracts';

export class AppError extends Error {
  readonly status: number;

  /**
   * @example
   * throw new AppError('repo_not_found', 'This repository does not exist.');
   */
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** When to ask again, in seconds: answered as `Retry-After`. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = errorStatus[code];
  }
}
