/**
 * @module sandbox/docker/image-reference
 * Whether a string names a Docker image (`[registry[:port]/]name[/name…][:tag][@sha256:…]`), so a
 * typo is reported before the engine is asked.
 */
const component = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
// A first part names a registry only with a dot, a port, or as localhost (as Docker decides).
const host = '(?:localhost|[a-zA-Z0-9-]+(?:\\.[a-zA-Z0-9-]+)+)(?::[0-9]+)?|[a-zA-Z0-9-]+:[0-9]+';
const registry = `(?:(?:${host})/)?`;
const reference = new RegExp(
  `^${registry}${component}(?:/${component})*(?::\\w[\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);

/**
 * @example
 * isImageReference('lucid-sandbox:latest'); // true
 * isImageReference('Lucid Sandbox'); // false
 */
export function isImageReference(text: string): boolean {
  return text.length <= 255 && reference.test(text);
}
