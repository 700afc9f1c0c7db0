import * as z from 'zod';
import { commonInstanceFields, httpUrl } from '../../config/instance-fields.js';

/** An OpenAI instance: OpenAI itself or any OpenAI-compatible endpoint. */
export const openaiSettingsSchema = z.object({
  type: z.literal('openai'),
  ...commonInstanceFields,
  baseURL: httpUrl().optional(),
  /** Environment variable that holds the key; the key itself is never written in settings. @default OPENAI_API_KEY */
  apiKeyEnv: z.string().default('OPENAI_API_KEY'),
  organization: z.string().optional(),
});
export type OpenAIInstanceSettings = z.output<typeof openaiSettingsSchema>;
