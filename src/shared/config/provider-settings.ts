import * as z from 'zod';
import { ConfigError } from '../errors.js';
import { parseWith } from '../parse-with.js';
import { timerMs } from './timer.js';

export const providerTypes = ['openai', 'anthropic', 'ollama', 'mock'] as const;
export type ProviderType = (typeof providerTypes)[number];

/** An instance's name becomes part of its queue's name. */
export const instanceName = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, 'expected letters, digits, "_" or "-" (it becomes part of a queue name)');

const breakerSchema = z
  .object({
    /** Failure percentage within the rolling window that opens the breaker. @default 50 */
    errorThresholdPercentage: z.number().min(1).max(100).default(50),
    /** Calls in the window before the percentage is considered. @default 5 */
    volumeThreshold: z.number().int().min(0).default(5),
    /** How long an open breaker waits before one probe. @default 10000 */
    resetTimeoutMs: timerMs({ positive: true }).default(10_000),
    /**
     * Length of the rolling statistics window. Under steady traffic a breaker opens about half a window
     * after an instance starts failing (its failures must outnumber the window's successes).
     * @default 1000
     */
    rollingCountTimeoutMs: timerMs({ positive: true }).default(1_000),
  })
  .prefault({});

const rateLimitSchema = z.object({
  /** Jobs per window, for this instance, across every worker. */
  max: z.number().int().positive(),
  durationMs: timerMs({ positive: true }),
});

const modelEntrySchema = z.object({
  id: z.string().min(1),
  /** Strength per capability, 1 (basic) … 4 (exceptional). */
  capabilities: z.record(z.string(), z.number().int().min(0).max(4)).default({}),
  inputPricePerMillion: z.number().min(0).default(0),
  outputPricePerMillion: z.number().min(0).default(0),
  contextWindow: z.number().int().positive().default(8_192),
  /** For embedding models: the vector size. */
  embeddingDimensions: z.number().int().positive().optional(),
});
export type ModelEntrySettings = z.infer<typeof modelEntrySchema>;

/** Fields every instance has, whatever its type. */
export const commonInstanceFields = {
  /** Model used when a request names none. */
  defaultModel: z.string().min(1).optional(),
  /** Per-call timeout handed to the SDK. @default 60000 */
  timeoutMs: timerMs({ positive: true }).default(60_000),
  breaker: breakerSchema,
  rateLimit: rateLimitSchema.optional(),
  /** Extra or overriding catalogue entries for this instance's models. */
  models: z.array(modelEntrySchema).default([]),
};

const openaiInstance = z.object({
  type: z.literal('openai'),
  ...commonInstanceFields,
  baseURL: z.url().optional(),
  /** Environment variable that holds the key; the key itself is never written in settings. @default OPENAI_API_KEY */
  apiKeyEnv: z.string().default('OPENAI_API_KEY'),
  organization: z.string().optional(),
});

const anthropicInstance = z.object({
  type: z.literal('anthropic'),
  ...commonInstanceFields,
  baseURL: z.url().optional(),
  apiKeyEnv: z.string().default('ANTHROPIC_API_KEY'),
});

const ollamaInstance = z.object({
  type: z.literal('ollama'),
  ...commonInstanceFields,
  /** Ollama server address. @default OLLAMA_HOST or http://127.0.0.1:11434 */
  host: z.url().optional(),
  /** For Ollama behind an authenticating proxy or ollama.com: the variable holding a bearer key. */
  apiKeyEnv: z.string().optional(),
});

const mockFailureSchema = z.object({
  kind: z.enum([
    'rate_limited',
    'unavailable',
    'timeout',
    'auth',
    'context_length',
    'content_policy',
    'invalid_request',
  ]),
  /** How many consecutive calls fail this way. @default 1 */
  times: z.number().int().positive().default(1),
  /** Calls that succeed before these failures start. @default 0 */
  afterCalls: z.number().int().min(0).default(0),
  /** For `rate_limited`: the Retry-After to report. */
  retryAfterMs: timerMs().optional(),
});

const mockRuleSchema = z.object({
  /** Substring (or `/regex/flags`) matched against the last message's text. */
  match: z.string(),
  reply: z.string().optional(),
  toolCalls: z
    .array(z.object({ name: z.string(), arguments: z.record(z.string(), z.unknown()).default({}) }))
    .optional(),
});

const mockInstance = z.object({
  type: z.literal('mock'),
  ...commonInstanceFields,
  /** Delay before a reply; streams spread it over their deltas. @default 0 */
  latencyMs: timerMs().default(0),
  /** Share of calls, 0 … 1, that fail as `unavailable`, chosen by a seeded generator. @default 0 */
  failureRate: z.number().min(0).max(1).default(0),
  failures: z.array(mockFailureSchema).default([]),
  script: z.array(mockRuleSchema).default([]),
  /** Seed of the failure generator. @default 1 */
  seed: z.number().int().default(1),
  /** Size of the hashing embeddings. @default 1024 */
  embeddingDimensions: z.number().int().positive().default(1024),
});

export const providerInstanceSchema = z.discriminatedUnion('type', [
  openaiInstance,
  anthropicInstance,
  ollamaInstance,
  mockInstance,
]);
export type ProviderInstanceSettings = z.output<typeof providerInstanceSchema>;
export type ProviderInstanceInput = z.input<typeof providerInstanceSchema>;
export type MockInstanceSettings = z.output<typeof mockInstance>;
export type MockFailure = z.output<typeof mockFailureSchema>;
export type MockRule = z.output<typeof mockRuleSchema>;
export type OpenAIInstanceSettings = z.output<typeof openaiInstance>;
export type AnthropicInstanceSettings = z.output<typeof anthropicInstance>;
export type OllamaInstanceSettings = z.output<typeof ollamaInstance>;

export function parseInstance(input: unknown, name: string): ProviderInstanceSettings {
  return parseWith(providerInstanceSchema, input, `providers.${name}`, ConfigError);
}
