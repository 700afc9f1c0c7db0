import * as z from 'zod';
import { commonInstanceFields } from '../../config/instance-fields.js';
import { timerMs } from '../../config/timer.js';

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

export const mockSettingsSchema = z.object({
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
export type MockInstanceSettings = z.output<typeof mockSettingsSchema>;
export type MockFailure = z.output<typeof mockFailureSchema>;
export type MockRule = z.output<typeof mockRuleSchema>;
