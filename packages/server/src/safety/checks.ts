/**
 * @module safety/checks
 * The checks of a change before it is pushed out of Lucid, each with its result: the secret scan
 * (a finding allowed once on the task passes), the protected paths and the most files changed of
 * the workspace's policy. Pure of the task: {@link runSafetyChecks} answers the `safety.check`
 * bodies; safety/before-push records them.
 */
import type { SafetyCheck, SafetyFinding, SafetyPolicy } from '@lucid/contracts';
import { changeBetween } from './changes.ts';
import { matchingPath } from './paths.ts';
import { scanForSecrets } from './secret-scan.ts';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function secretsCheck(head: string, findings: SafetyFinding[]): SafetyCheck {
  const open = findings.filter((f) => !f.allowed);
  const allowed = findings.length - open.length;
  const allowedWords = allowed > 0 ? ` (${plural(allowed, 'finding')} allowed once)` : '';
  if (open.length === 0) {
    return {
      type: 'safety.check',
      check: 'secrets',
      result: 'passed',
      summary: `No secret found in the lines this change adds${allowedWords}.`,
      head,
      ...(findings.length > 0 ? { findings } : {}),
    };
  }
  const first = open[0]!;
  return {
    type: 'safety.check',
    check: 'secrets',
    result: 'blocked',
    summary:
      `${plural(open.length, 'secret')} found in the lines this change adds, first ${first.message} ` +
      `in ${first.file}:${first.line}${allowedWords}.`,
    head,
    findings,
  };
}

function protectedPathsCheck(
  head: string,
  files: { path: string; previousPath?: string }[],
  globs: readonly string[],
): SafetyCheck {
  if (globs.length === 0) {
    return {
      type: 'safety.check',
      check: 'protected_paths',
      result: 'passed',
      summary: 'The workspace protects no paths.',
      head,
    };
  }
  const breaches = files
    .flatMap((f) => [f.path, ...(f.previousPath ? [f.previousPath] : [])])
    .filter((p) => matchingPath(p, globs) !== null);
  const paths = [...new Set(breaches)];
  if (paths.length === 0) {
    return {
      type: 'safety.check',
      check: 'protected_paths',
      result: 'passed',
      summary: `No protected path changed (${globs.join(', ')}).`,
      head,
    };
  }
  return {
    type: 'safety.check',
    check: 'protected_paths',
    result: 'blocked',
    summary: `This change touches ${plural(paths.length, 'protected path')}: ${paths.slice(0, 5).join(', ')}${paths.length > 5 ? ', …' : ''}.`,
    head,
    paths,
  };
}

function maxFilesCheck(head: string, changed: number, limit: number | null): SafetyCheck {
  if (limit === null) {
    return {
      type: 'safety.check',
      check: 'max_files',
      result: 'passed',
      summary: `${plural(changed, 'file')} changed; the workspace sets no limit.`,
      head,
    };
  }
  const over = changed > limit;
  return {
    type: 'safety.check',
    check: 'max_files',
    result: over ? 'blocked' : 'passed',
    summary: over
      ? `This change touches ${plural(changed, 'file')}, more than the ${limit} the workspace allows.`
      : `${plural(changed, 'file')} changed, within the workspace's limit of ${limit}.`,
    head,
  };
}

/**
 * Runs every check on the change `headRef` makes since it left `baseRef` in the bare repository
 * at `repoPath`.
 *
 * @example
 * const checks = await runSafetyChecks({ repoPath, baseRef: 'refs/heads/main', headRef: 'refs/heads/lucid/x', policy, known, allowed: new Set() });
 * checks.some((c) => c.result === 'blocked');
 */
export async function runSafetyChecks({
  repoPath,
  baseRef,
  headRef,
  policy,
  known,
  allowed,
}: {
  repoPath: string;
  baseRef: string;
  headRef: string;
  policy: SafetyPolicy;
  /** Values Lucid knows are secret (provider keys, forge tokens). */
  known: readonly string[];
  /** Fingerprints of findings allowed once on the task. */
  allowed: ReadonlySet<string>;
}): Promise<SafetyCheck[]> {
  const change = await changeBetween(repoPath, baseRef, headRef);
  const findings = (await scanForSecrets(change.added, known)).map((f) =>
    allowed.has(f.fingerprint) ? { ...f, allowed: true } : f,
  );
  return [
    secretsCheck(change.head, findings),
    protectedPathsCheck(change.head, change.files, policy.protectedPaths),
    maxFilesCheck(change.head, change.files.length, policy.maxFilesChanged),
  ];
}
