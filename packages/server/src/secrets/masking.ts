/**
 * @module secrets/masking
 * Keeps secrets out of what the model and the event log see: every occurrence of a known secret is
 * replaced by `[redacted]`, in whole texts and in streams whose chunks may split a secret.
 */

export const REDACTED = '[redacted]';

/**
 * @example
 * maskSecrets('token abc123', ['abc123']); // → 'token [redacted]'
 */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let masked = text;
  for (const secret of secrets) {
    if (secret.length >= 4 && masked.includes(secret)) masked = masked.split(secret).join(REDACTED);
  }
  return masked;
}

/** Masks every string inside a JSON-like value. */
export function maskDeep<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === 'string') return maskSecrets(value, secrets) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => maskDeep(item, secrets)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, maskDeep(item, secrets)]),
    ) as T;
  }
  return value;
}

/**
 * Masks a stream: holds back only the end of the text that could be the start of a secret, so a
 * secret split across chunks is caught too while everything else passes on at once. Call `end()`
 * to get what is held.
 */
export class StreamMasker {
  private held = '';

  constructor(private readonly secrets: readonly string[]) {}

  /** The part of the stream so far that is safe to pass on. */
  push(chunk: string): string {
    const masked = maskSecrets(this.held + chunk, this.secrets);
    const cut = masked.length - this.partialSecretAtEnd(masked);
    this.held = masked.slice(cut);
    return masked.slice(0, cut);
  }

  end(): string {
    const rest = maskSecrets(this.held, this.secrets);
    this.held = '';
    return rest;
  }

  /** How many characters at the end of `text` begin some secret (and may go on in the next chunk). */
  private partialSecretAtEnd(text: string): number {
    let longest = 0;
    for (const secret of this.secrets) {
      if (secret.length < 4) continue;
      const first = secret.charCodeAt(0);
      for (
        let at = Math.max(0, text.length - secret.length + 1);
        at < text.length - longest;
        at++
      ) {
        if (text.charCodeAt(at) === first && secret.startsWith(text.slice(at))) {
          longest = text.length - at;
          break;
        }
      }
    }
    return longest;
  }
}
