import * as z from 'zod';
import { AtlasError } from '../../errors.js';
import type { ToolCall } from '../../jobs.js';
import { parseToolArguments } from '../parse-tool-arguments.js';

/*
 * What Atlas reads of the API's answers. The SDK types them but does not check them, and an
 * OpenAI-compatible server (or a proxy in front of one) can send anything: a body that fails these
 * schemas is an instance fault (`unavailable`), not a crash deep inside the provider.
 */

export const openAIUsageSchema = z.object({
  prompt_tokens: z.number().int().min(0),
  completion_tokens: z.number().int().min(0).default(0),
});
export type OpenAIUsage = z.infer<typeof openAIUsageSchema>;

/** A reply as read from a completion or assembled from a stream, before usage and cost are settled. */
export interface OpenAIReply {
  text: string;
  /** The model's refusal text ('' when it did not refuse). */
  refusal: string;
  toolCalls: ToolCall[];
  /** The raw `finish_reason`. */
  finishReason: string;
  /** The model that answered, as the API reports it (often a dated snapshot of the one asked for). */
  model: string;
  usage: OpenAIUsage | undefined;
}

const toolCallSchema = z.object({
  id: z.string().nullish(),
  type: z.string().nullish(),
  // Absent on `custom` tool calls, which Atlas never offers.
  function: z.object({ name: z.string(), arguments: z.string().nullish() }).nullish(),
});

export const openAICompletionSchema = z.object({
  model: z.string().nullish(),
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullish(),
          refusal: z.string().nullish(),
          tool_calls: z.array(toolCallSchema).nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: openAIUsageSchema.nullish(),
});

export const openAIChunkSchema = z.object({
  model: z.string().nullish(),
  choices: z
    .array(
      z.object({
        delta: z
          .object({
            content: z.string().nullish(),
            refusal: z.string().nullish(),
            tool_calls: z
              .array(
                z.object({
                  index: z.number().int().min(0),
                  id: z.string().nullish(),
                  function: z
                    .object({ name: z.string().nullish(), arguments: z.string().nullish() })
                    .nullish(),
                }),
              )
              .nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .default([]),
  usage: openAIUsageSchema.nullish(),
});
export type OpenAIChunk = z.infer<typeof openAIChunkSchema>;

export const openAIEmbeddingsSchema = z.object({
  model: z.string().nullish(),
  data: z.array(z.object({ index: z.number().int().min(0), embedding: z.array(z.number()) })),
  usage: z.object({ prompt_tokens: z.number().int().min(0) }).nullish(),
});

export function parseOpenAIResponse<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  provider: string,
  expected: string,
): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const where = result.error.issues[0]?.path.join('.') || 'body';
  throw new AtlasError('unavailable', `${provider}: the response is not a ${expected} (at ${where})`, {
    provider,
    cause: result.error,
  });
}

/** The function calls of a completion's message, their JSON arguments parsed. */
export function readToolCalls(
  calls: z.infer<typeof toolCallSchema>[] | null | undefined,
  provider: string,
): ToolCall[] {
  return (calls ?? []).flatMap((call, index) =>
    call.function
      ? [
          {
            id: call.id || `call_${index}`,
            name: call.function.name,
            arguments: parseToolArguments(call.function.arguments ?? '', provider, call.function.name),
          },
        ]
      : [],
  );
}
