/**
 * @module errors
 * The one error taxonomy of the Lucid API: every machine-readable code, the HTTP status it maps to,
 * and the JSON body every failed request answers with.
 */
import { z } from 'zod';

/** Every error code the API can answer with, mapped to its HTTP status. */
export const errorStatus = {
  validation_failed: 400,
  invalid_json: 400,
  bad_request: 400,
  invalid_cursor: 400,
  model_unavailable: 400,
  model_not_found: 400,
  agent_unavailable: 400,
  invalid_provider_key: 400,
  invalid_forge_token: 400,
  invalid_oauth_state: 400,
  forge_not_configured: 400,
  invalid_notion_token: 400,
  notion_not_configured: 400,
  invalid_notion_mapping: 400,
  invalid_vercel_token: 400,
  branch_not_found: 400,
  invalid_date_range: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  invalid_signature: 401,
  budget_exceeded: 402,
  forbidden: 403,
  cross_origin_request: 403,
  invitation_required: 403,
  invitation_invalid: 403,
  invitation_wrong_account: 403,
  signup_closed: 403,
  not_found: 404,
  repo_not_found: 404,
  ref_not_found: 404,
  token_not_found: 404,
  task_not_found: 404,
  run_not_found: 404,
  runner_not_found: 404,
  provider_key_not_found: 404,
  integration_not_found: 404,
  file_not_found: 404,
  invitation_not_found: 404,
  deployment_not_found: 404,
  attempt_not_found: 404,
  eval_not_found: 404,
  method_not_allowed: 405,
  name_taken: 409,
  conflict: 409,
  no_agent: 409,
  invalid_transition: 409,
  merge_conflict: 409,
  push_rejected: 409,
  safety_blocked: 409,
  last_owner: 409,
  invitation_used: 409,
  run_not_finished: 409,
  gone: 410,
  invitation_expired: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  quota_exceeded: 429,
  internal: 500,
  provider_unreachable: 502,
  forge_error: 502,
  notion_error: 502,
  vercel_error: 502,
  unavailable: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof errorStatus;

export const errorCodes = Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]];

/**
 * The body of every failed API request.
 *
 * @example
 * { "error": { "code": "repo_not_found", "message": "This repository does not exist, or you are not a member of its workspace." } }
 */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum(errorCodes),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof ErrorBody>;
