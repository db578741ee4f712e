/** Says the text loudly. */
export function shout(text) {
  return text;
}
