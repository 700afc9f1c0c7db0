import * as z from 'zod';
import { commonInstanceFields, httpUrl } from '../../config/instance-fields.js';

export const ollamaSettingsSchema = z.object({
  type: z.literal('ollama'),
  ...commonInstanceFields,
  /** Ollama server address. @default OLLAMA_HOST or http://127.0.0.1:11434 */
  host: httpUrl().optional(),
  /** For Ollama behind an authenticating proxy or ollama.com: the variable holding a bearer key. */
  apiKeyEnv: z.string().optional(),
});
export type OllamaInstanceSettings = z.output<typeof ollamaSettingsSchema>;
