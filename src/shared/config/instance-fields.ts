import * as z from 'zod';
import { timerMs } from './timer.js';

// What every provider instance has, whatever its type: each provider folder builds its settings schema
// from `commonInstanceFields` and adds its own fields.

/** A server address: http or https only (never `file:` or another scheme a client library might follow). */
export function httpUrl() {
  return z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });
}

export const breakerSchema = z
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

export const rateLimitSchema = z.object({
  /** Jobs per window, for this instance, across every worker. */
  max: z.number().int().positive(),
  durationMs: timerMs({ positive: true }),
});

export const modelEntrySchema = z.object({
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
