/**
 * @module safety/secret-scan
 * The secret scan of the lines a change adds: secretlint's recommended rules (run in-process, on
 * the added lines only, offline), an AWS access key id, Lucid's own run tokens by their shape, and
 * the values Lucid knows are secret (the provider keys and forge token the task's work could see).
 * A finding holds the secret masked and a fingerprint, never the secret itself.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { lintSource } from '@secretlint/core';
import { creator as recommended } from '@secretlint/secretlint-rule-preset-recommend';
import type { SafetyFinding } from '@lucid/contracts';
import type { AddedLines } from './changes.ts';

/** The patterns Lucid adds to secretlint's: an AWS access key id, and its own run tokens. */
const SHAPES: { rule: string; message: string; pattern: RegExp }[] = [
  {
    rule: 'lucid/aws-access-key-id',
    message: 'an AWS access key id',
    pattern: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g,
  },
  {
    rule: 'lucid/run-token',
    message: "a Lucid run's token",
    pattern: /\blucid_run_[A-Za-z0-9_-]{43}/g,
  },
];

/** Its first four characters and an ellipsis. */
export function maskSecret(secret: string): string {
  return `${secret.slice(0, 4)}…`;
}

/** A hash naming a finding (rule, file and secret) without holding the secret. */
export function fingerprintOf(rule: string, file: string, secret: string): string {
  return createHash('sha256').update(`${rule}\0${file}\0${secret}`).digest('hex');
}

/** A finding and where it is (file, line and a hash of the secret), to tell each once. */
type Found = SafetyFinding & { place: string };

function finding(
  { rule, message }: { rule: string; message: string },
  file: string,
  line: number,
  secret: string,
): Found {
  return {
    place: fingerprintOf(String(line), file, secret),
    file,
    line,
    rule,
    message,
    masked: maskSecret(secret),
    fingerprint: fingerprintOf(rule, file, secret),
  };
}

/** secretlint's message ids in words ("AWSSecretAccessKey" → "AWS secret access key"). */
function words(messageId: string | undefined, ruleId: string): string {
  const name = messageId ?? ruleId.replace(/^.*secretlint-rule-/, '');
  return name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/[-_]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The secret itself: the value a rule names in its data (its range may take in the assignment
 * around it, `aws_secret_access_key = "…"`, or be off), else what its range covers.
 */
function secretOf(content: string, range: readonly [number, number], data: unknown): string {
  const values = data && typeof data === 'object' ? Object.values(data) : [];
  const value = values.find(
    (v): v is string => typeof v === 'string' && v.length >= 8 && content.includes(v),
  );
  return value ?? content.slice(range[0], range[1]);
}

async function secretlintFindings(file: AddedLines): Promise<Found[]> {
  const content = file.lines.map((l) => l.text).join('\n');
  const result = await lintSource({
    source: {
      content,
      filePath: `/${file.path}`,
      ext: path.extname(file.path),
      contentType: 'text',
    },
    options: {
      config: {
        rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: recommended }],
      },
    },
  });
  return result.messages.map((message) => {
    const secret = secretOf(content, message.range, message.data);
    const told = file.lines[message.loc.start.line - 1];
    const holding = told?.text.includes(secret)
      ? told
      : file.lines.find((l) => l.text.includes(secret));
    const at = (holding ?? told)?.line ?? 1;
    return finding(
      { rule: message.ruleId, message: words(message.messageId, message.ruleId) },
      file.path,
      at,
      secret,
    );
  });
}

function ownFindings(file: AddedLines, known: readonly string[]): Found[] {
  const found: Found[] = [];
  for (const { line, text } of file.lines) {
    for (const shape of SHAPES) {
      for (const match of text.matchAll(shape.pattern))
        found.push(finding(shape, file.path, line, match[0]));
    }
    for (const secret of known) {
      if (secret.length >= 8 && text.includes(secret)) {
        found.push(
          finding(
            { rule: 'lucid/known-secret', message: 'a credential Lucid holds for this work' },
            file.path,
            line,
            secret,
          ),
        );
      }
    }
  }
  return found;
}

/**
 * The secrets on the added lines of a change, one finding per secret and place (the same secret
 * found by two rules is told once, by the first), ordered by file and line.
 *
 * @example
 * const findings = await scanForSecrets(change.added, ['sk-ant-…']);
 * // → [{ file: 'config.py', line: 3, rule: '@secretlint/secretlint-rule-aws', masked: 'Zr8k…', … }]
 */
export async function scanForSecrets(
  added: readonly AddedLines[],
  known: readonly string[],
): Promise<SafetyFinding[]> {
  const all: Found[] = [];
  for (const file of added) {
    all.push(...ownFindings(file, known), ...(await secretlintFindings(file)));
  }
  const seen = new Set<string>();
  return all
    .filter((f) => {
      if (seen.has(f.place)) return false;
      seen.add(f.place);
      return true;
    })
    .map(({ place: _place, ...f }) => f)
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}
