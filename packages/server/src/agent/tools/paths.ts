/**
 * @module agent/tools/paths
 * Paths the model gives are relative to the workspace; tools may not leave it.
 */
import path from 'node:path';

export const WORKSPACE = '/workspace';

/** The absolute sandbox path for a path the model gave, or an error saying why it is refused. */
export function inWorkspace(given: string): string {
  const resolved = path.posix.resolve(WORKSPACE, given);
  if (resolved !== WORKSPACE && !resolved.startsWith(`${WORKSPACE}/`)) {
    throw new Error(`${given} is outside the workspace; use a path inside ${WORKSPACE}.`);
  }
  return resolved;
}

/** The path relative to the workspace, as events and messages show it. */
export function relative(absolute: string): string {
  return path.posix.relative(WORKSPACE, absolute) || '.';
}
