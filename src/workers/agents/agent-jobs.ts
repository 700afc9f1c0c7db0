import * as z from 'zod';
import { type GenerationResult, generationResultSchema } from '../../shared/jobs.js';

/** The payloads of agent-queue jobs: a step of a run, or an LLM result coming back to one. */

export const agentStepJobSchema = z.object({
  runId: z.string().min(1),
  version: z.number().int().min(0),
  node: z.string().min(1),
  branch: z.number().int().min(0).optional(),
  turn: z.number().int().min(0).optional(),
  childRunId: z.string().min(1).optional(),
});

/** A finished generation request's continuation, as the generation worker enqueues it on the agent queue. */
export const agentContinuationSchema = z.object({
  requestId: z.string().min(1),
  result: generationResultSchema.optional(),
  /** Set when the request failed (every hop failed, cancelled, past its deadline). */
  error: z.object({ kind: z.string().optional(), message: z.string() }).optional(),
  payload: agentStepJobSchema,
});

export type AgentContinuation = z.infer<typeof agentContinuationSchema>;

/** What an LLM call came back with. */
export interface LlmReply {
  result?: GenerationResult;
  error?: { kind?: string; message: string };
}
