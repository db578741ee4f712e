/**
 * @module tokens
 * Personal API tokens: a bearer credential for the REST API and the password for git over HTTP.
 */
import { z } from 'zod';
import { Id, Timestamp } from './common.ts';

export const CreateTokenBody = z.object({
  name: z.string().trim().min(1).max(100),
});
export type CreateTokenBody = z.infer<typeof CreateTokenBody>;

/** A token as listed: its secret is never shown again after creation. */
export const ApiToken = z
  .object({
    id: Id,
    name: z.string(),
    prefix: z.string().describe('The first characters of the token, to recognise it.'),
    createdAt: Timestamp,
    lastUsedAt: Timestamp.nullable(),
  })
  .meta({ id: 'ApiToken' });
export type ApiToken = z.infer<typeof ApiToken>;

/** The answer to creating a token: the only time the secret is shown. */
export const CreatedApiToken = ApiToken.extend({
  token: z.string().describe('The secret. Shown once; store it now.'),
}).meta({ id: 'CreatedApiToken' });
export type CreatedApiToken = z.infer<typeof CreatedApiToken>;

export const ApiTokenList = z.object({ tokens: z.array(ApiToken) });
export type ApiTokenList = z.infer<typeof ApiTokenList>;
