/**
 * @module models
 * The models the built-in agent can use on this server.
 */
import { z } from 'zod';

export const ModelProvider = z.enum([
  'anthropic',
  'openai',
  'openai-chat',
  'openai-compatible',
  'gemini',
]);
export type ModelProvider = z.infer<typeof ModelProvider>;

export const ModelInfo = z
  .object({
    provider: ModelProvider,
    /** `provider/name`, as tasks name it. */
    id: z.string(),
    /** The model tasks get when they name none. */
    default: z.boolean(),
  })
  .meta({ id: 'Model' });
export type ModelInfo = z.infer<typeof ModelInfo>;

export const ModelList = z.object({ models: z.array(ModelInfo) });
