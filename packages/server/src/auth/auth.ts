/**
 * @module auth/auth
 * Accounts and cookie sessions, by better-auth: email + password always, GitHub and Google sign-in
 * when their client ids are configured. Every new account, however it is made, passes the sign-up
 * rule first (`admitSignUp`: the server's mode and the invitation presented, in the sign-up body or
 * carried through the OAuth state). Sign-up creates the user's personal workspace; sign-up,
 * sign-in and sign-out are written to the audit log.
 */
import { hkdfSync } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { betterAuth } from 'better-auth';
import { APIError, getOAuthState } from 'better-auth/api';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import type { AuthProviders } from '@lucid/contracts';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import * as schema from '../db/schema.ts';
import { recordAudit } from '../audit/audit.ts';
import { AppError } from '../errors.ts';
import { createPersonalWorkspace } from '../workspaces/workspaces.ts';
import { admitSignUp, noUserYet, recordInvitationAccepted } from './invitations.ts';

/** The header through which the HTTP edge tells better-auth the client's address. */
export const CLIENT_IP_HEADER = 'x-lucid-client-ip';

/** Where better-auth's own messages go. */
export interface AuthLogger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

export interface AuthOptions {
  db: Db;
  config: Pick<Config, 'publicUrl' | 'trustedOrigins' | 'encryptionKey' | 'social' | 'signUp'>;
  logger: AuthLogger;
  /** better-auth's own rate limit on sign-in attempts; off in tests. */
  rateLimit?: boolean;
}

/** Derives the session-signing secret from the encryption key, so one key is all there is to keep. */
function sessionSecret(key: Buffer): string {
  return Buffer.from(hkdfSync('sha256', key, 'lucid', 'better-auth session secret', 32)).toString(
    'base64',
  );
}

function clientIp(context: { request?: Request } | null): string | null {
  return context?.request?.headers.get(CLIENT_IP_HEADER) ?? null;
}

/**
 * The invitation token presented with a new account: `invitation` in the sign-up body, or in the
 * `additionalData` of a social sign-in, which better-auth carries through the provider's redirect.
 */
async function presentedInvitation(
  context: { body?: unknown } | null,
): Promise<string | undefined> {
  const body = context?.body as { invitation?: unknown } | undefined;
  if (typeof body?.invitation === 'string') return body.invitation;
  const state = await getOAuthState().catch(() => null);
  return typeof state?.invitation === 'string' ? state.invitation : undefined;
}

export function createAuth({ db, config, logger, rateLimit = true }: AuthOptions) {
  /** The invitation each sign-up under way has used, by better-auth's call, until its user exists. */
  const invitationUsed = new WeakMap<object, string>();
  return betterAuth({
    appName: 'Lucid',
    baseURL: config.publicUrl,
    basePath: '/api/auth',
    trustedOrigins: config.trustedOrigins,
    logger: {
      level: 'debug',
      log: (level, message) => logger[level](`auth: ${message}`),
    },
    secret: sessionSecret(config.encryptionKey),
    database: drizzleAdapter(db, {
      provider: 'pg',
      schema: {
        user: schema.users,
        session: schema.sessions,
        account: schema.accounts,
        verification: schema.verifications,
      },
    }),
    emailAndPassword: { enabled: true, minPasswordLength: 8, maxPasswordLength: 256 },
    socialProviders: {
      ...(config.social.github && { github: config.social.github }),
      ...(config.social.google && { google: config.social.google }),
    },
    account: { encryptOAuthTokens: true },
    rateLimit: { enabled: rateLimit },
    advanced: {
      // Checked in every environment, tests included, as browsers will meet it.
      disableOriginCheck: false,
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
      useSecureCookies: config.publicUrl.startsWith('https://'),
    },
    databaseHooks: {
      user: {
        create: {
          before: async (user, context) => {
            try {
              const used = await admitSignUp(
                { db, signUp: config.signUp },
                { email: user.email, invitation: await presentedInvitation(context) },
              );
              if (used && context) invitationUsed.set(context, used.invitationId);
            } catch (error) {
              if (!(error instanceof AppError)) throw error;
              throw new APIError('FORBIDDEN', { code: error.code, message: error.message });
            }
          },
          after: async (user, context) => {
            await db
              .update(schema.users)
              .set({ role: 'admin' })
              .where(
                and(
                  eq(schema.users.id, user.id),
                  sql`not exists (select 1 from ${schema.users} where ${schema.users.role} = 'admin')`,
                ),
              );
            const workspaceId = await createPersonalWorkspace(db, user);
            await recordAudit(db, {
              actor: { userId: user.id, ip: clientIp(context) },
              action: 'user.signup',
              targetType: 'user',
              targetId: user.id,
              workspaceId,
            });
            const invitationId = context ? invitationUsed.get(context) : undefined;
            if (invitationId) {
              await recordInvitationAccepted(db, {
                invitationId,
                userId: user.id,
                ip: clientIp(context),
              });
            }
          },
        },
        update: {
          after: async (user, context) => {
            await recordAudit(db, {
              actor: { userId: user.id, ip: clientIp(context) },
              action: 'user.update',
              targetType: 'user',
              targetId: user.id,
            });
          },
        },
      },
      session: {
        create: {
          after: async (session) => {
            await recordAudit(db, {
              actor: { userId: session.userId, ip: session.ipAddress ?? null },
              action: 'session.signin',
              targetType: 'session',
              targetId: session.id,
            });
          },
        },
        delete: {
          after: async (session, context) => {
            await recordAudit(db, {
              actor: { userId: session.userId, ip: clientIp(context) },
              action: 'session.signout',
              targetType: 'session',
              targetId: session.id,
            });
          },
        },
      },
    },
  });
}

export type Auth = ReturnType<typeof createAuth>;

/** What the sign-in and sign-up pages should offer. */
export async function authProviders(
  db: Db,
  config: Pick<Config, 'social' | 'signUp'>,
): Promise<AuthProviders> {
  const firstAccount = await noUserYet(db);
  return {
    emailPassword: true,
    social: (['github', 'google'] as const).filter((p) => config.social[p] !== undefined),
    signUp: firstAccount ? 'open' : config.signUp,
    firstAccount,
  };
}
