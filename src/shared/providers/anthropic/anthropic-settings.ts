import * as z from 'zod';
import { commonInstanceFields, httpUrl } from '../../config/instance-fields.js';

export const anthropicSettingsSchema = z.object({
  type: z.literal('anthropic'),
  ...commonInstanceFields,
  baseURL: httpUrl().optional(),
  /** Environment variable that holds the key. @default ANTHROPIC_API_KEY */
  apiKeyEnv: z.string().default('ANTHROPIC_API_KEY'),
});
export type AnthropicInstanceSettings = z.output<typeof anthropicSettingsSchema>;
