import * as z from 'zod';
import { strategyNames } from './config/settings.js';
import { errorKinds } from './errors.js';

/** A tool call the model asked for. `arguments` is the parsed JSON object. */
export const toolCallSchema = z.object({
  id: z.string(),
  name: z.string(),
  arguments: z.record(z.string(), z.unknown()),
});
export type ToolCall = z.infer<typeof toolCallSchema>;

export const messageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: z.string() }),
  z.object({ role: z.literal('user'), content: z.string() }),
  z.object({
    role: z.literal('assistant'),
    content: z.string().default(''),
    toolCalls: z.array(toolCallSchema).optional(),
  }),
  z.object({
    role: z.literal('tool'),
    toolCallId: z.string(),
    name: z.string().optional(),
    content: z.string(),
  }),
]);
export type Message = z.infer<typeof messageSchema>;

/** A tool offered to the model; `parameters` is a JSON schema of its input. */
export const toolSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected 1-64 letters, digits, "_" or "-"'),
  description: z.string().default(''),
  parameters: z.record(z.string(), z.unknown()).default({ type: 'object', properties: {} }),
});
export type Tool = z.infer<typeof toolSchema>;

export const responseFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json') }),
  z.object({
    type: z.literal('json_schema'),
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/)
      .default('response'),
    schema: z.record(z.string(), z.unknown()),
  }),
]);
export type ResponseFormat = z.infer<typeof responseFormatSchema>;

export const usageSchema = z.object({
  inputTokens: z.number().int().min(0),
  outputTokens: z.number().int().min(0),
});
export type Usage = z.infer<typeof usageSchema>;

const capabilityRequirement = z.record(z.string(), z.number().int().min(1).max(4));

/** What a producer submits. Either `messages` or `prompt` is required. */
export const generationRequestSchema = z
  .object({
    messages: z.array(messageSchema).min(1).optional(),
    prompt: z.string().regex(/\S/, 'expected some text, not only spaces').optional(),
    system: z.string().optional(),
    model: z.string().min(1).optional(),
    /** Instances to route over, in order. @default the configured providerOrder */
    providers: z.array(z.string().min(1)).min(1).optional(),
    strategy: z.enum(strategyNames).optional(),
    taskType: z.string().min(1).optional(),
    capabilities: capabilityRequirement.optional(),
    maxTokens: z.number().int().positive().optional(),
    temperature: z.number().min(0).max(2).optional(),
    tools: z.array(toolSchema).optional(),
    responseFormat: responseFormatSchema.optional(),
    stream: z.boolean().optional(),
    /** Milliseconds from submission after which the request fails rather than waits. */
    deadlineMs: z.number().int().positive().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    idempotencyKey: z.string().min(1).max(200).optional(),
    /** A job to enqueue, crash-safely with the result, when the request completes. */
    continuation: z
      .object({
        queue: z.string().regex(/^[^:\s]+$/, "expected a queue name without ':'"),
        payload: z.unknown(),
      })
      .optional(),
  })
  .strict()
  .refine((request) => request.messages !== undefined || request.prompt !== undefined, {
    message: 'expected either messages or prompt',
    path: ['messages'],
  });
export type GenerationRequest = z.input<typeof generationRequestSchema>;
export type ParsedGenerationRequest = z.output<typeof generationRequestSchema>;

const hopErrorSchema = z.object({
  kind: z.enum(errorKinds),
  message: z.string(),
  retryAfterMs: z.number().min(0).optional(),
});

/** One attempt of a request on one instance: the model it used, how long it took, the error it met. */
export const hopSchema = z.object({
  instance: z.string(),
  model: z.string(),
  error: hopErrorSchema.optional(),
  ms: z.number().min(0),
});
export type Hop = z.infer<typeof hopSchema>;

/** An attempt as the public result lists it: `provider` is the instance that was tried. */
export const resultHopSchema = z.object({
  provider: z.string(),
  model: z.string(),
  error: hopErrorSchema.optional(),
  ms: z.number().min(0),
});
export type ResultHop = z.infer<typeof resultHopSchema>;

/** The public shape of an attempt. */
export function resultHopOf({ instance, ...hop }: Hop): ResultHop {
  return { provider: instance, ...hop };
}

export const generationResultSchema = z.object({
  text: z.string(),
  toolCalls: z.array(toolCallSchema),
  /** The instance that answered. */
  provider: z.string(),
  model: z.string(),
  usage: usageSchema,
  costUsd: z.number().min(0),
  hops: z.array(resultHopSchema),
  latencyMs: z.number().min(0),
});
export type GenerationResult = z.infer<typeof generationResultSchema>;

export type { GenerationEvent } from './requests/request-events.js';

/** Data of a generation job: which request, and which attempt of its plan. Everything else is in the record. */
export const generationJobSchema = z.object({
  requestId: z.string().min(1),
  attempt: z.number().int().min(0),
});
export type GenerationJob = z.infer<typeof generationJobSchema>;
