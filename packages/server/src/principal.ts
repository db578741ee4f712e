/**
 * @module principal
 * Who is acting: a signed-in user, possibly through one of their API tokens, and from where.
 */
export interface Principal {
  userId: string;
  /** Set when the request was authenticated with an API token rather than a session cookie. */
  tokenId: string | null;
  ip: string | null;
}
