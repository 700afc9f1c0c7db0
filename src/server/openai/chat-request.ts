import * as z from 'zod';
import { strategyNames } from '../../shared/config/strategy-names.js';
import { ValidationError } from '../../shared/errors.js';
import type { GenerationRequest, Message, Tool } from '../../shared/jobs.js';
import type { ProviderRegistry } from '../../shared/providers/registry.js';

const textContent = z.union([
  z.string(),
  z.array(z.looseObject({ type: z.string(), text: z.string().optional() })),
  z.null(),
]);

const toolCall = z.looseObject({
  id: z.string(),
  type: z.literal('function').default('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

const chatMessage = z.discriminatedUnion('role', [
  z.looseObject({ role: z.enum(['system', 'developer']), content: textContent }),
  z.looseObject({ role: z.literal('user'), content: textContent }),
  z.looseObject({
    role: z.literal('assistant'),
    content: textContent.optional(),
    tool_calls: z.array(toolCall).optional(),
  }),
  z.looseObject({ role: z.literal('tool'), tool_call_id: z.string(), content: textContent }),
]);

/** Atlas's extension of a chat completion request: where and how to route it. */
export const atlasExtensionSchema = z
  .object({
    providers: z.array(z.string().min(1)).min(1).optional(),
    strategy: z.enum(strategyNames).optional(),
    taskType: z.string().min(1).optional(),
    capabilities: z.record(z.string(), z.number().int().min(1).max(4)).optional(),
    deadlineMs: z.number().int().positive().optional(),
    idempotencyKey: z.string().min(1).max(200).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** The fields of OpenAI's Chat Completions request Atlas reads; others (n, top_p, seed…) are accepted and ignored. */
export const chatCompletionRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(chatMessage).min(1),
  tools: z
    .array(
      z.looseObject({
        type: z.literal('function'),
        function: z.looseObject({
          name: z.string(),
          description: z.string().optional(),
          parameters: z.record(z.string(), z.unknown()).optional(),
        }),
      }),
    )
    .optional(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  response_format: z
    .discriminatedUnion('type', [
      z.looseObject({ type: z.literal('text') }),
      z.looseObject({ type: z.literal('json_object') }),
      z.looseObject({
        type: z.literal('json_schema'),
        json_schema: z.looseObject({
          name: z.string().optional(),
          schema: z.record(z.string(), z.unknown()),
        }),
      }),
    ])
    .optional(),
  /** Atlas's own field: providers, strategy, task type, capabilities, deadline, idempotency key. */
  atlas: atlasExtensionSchema.optional(),
});
export type ChatCompletionRequest = z.output<typeof chatCompletionRequestSchema>;

/** Model names that mean "route as the settings say". */
const anyModel = new Set(['atlas', 'auto', 'default']);

function text(content: z.output<typeof textContent> | undefined): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => part.text ?? '').join('');
}

/**
 * Maps an OpenAI chat completion request to an Atlas request. `model` selects where it runs: an
 * instance name (`mock`), `instance/model`, a model some configured instances serve (routed over
 * those), or `atlas`/`auto` for the configured order; `atlas.providers` and `atlas.strategy` override.
 */
export function toGenerationRequest(
  body: ChatCompletionRequest,
  registry: ProviderRegistry,
): GenerationRequest {
  const system = body.messages
    .filter((message) => message.role === 'system' || message.role === 'developer')
    .map((message) => text(message.content))
    .join('\n\n');
  const messages: Message[] = body.messages.flatMap((message): Message[] => {
    switch (message.role) {
      case 'user':
        return [{ role: 'user', content: text(message.content) }];
      case 'assistant':
        return [
          {
            role: 'assistant',
            content: text(message.content),
            ...(message.tool_calls?.length
              ? {
                  toolCalls: message.tool_calls.map((call) => ({
                    id: call.id,
                    name: call.function.name,
                    arguments: parseArguments(call.function.arguments),
                  })),
                }
              : {}),
          },
        ];
      case 'tool':
        return [{ role: 'tool', toolCallId: message.tool_call_id, content: text(message.content) }];
      default:
        // System and developer messages became `system` above.
        return [];
    }
  });
  if (messages.length === 0)
    throw new ValidationError('body.messages', 'expected at least one non-system message');
  const routing = routeOf(body.model, registry);
  const { atlas } = body;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  const tools: Tool[] | undefined = body.tools?.map((tool) => ({
    name: tool.function.name,
    description: tool.function.description ?? '',
    parameters: tool.function.parameters ?? { type: 'object', properties: {} },
  }));
  return {
    messages,
    ...(system ? { system } : {}),
    ...routing,
    ...(atlas?.providers ? { providers: atlas.providers } : {}),
    ...(atlas?.strategy ? { strategy: atlas.strategy } : {}),
    ...(atlas?.taskType ? { taskType: atlas.taskType } : {}),
    ...(atlas?.capabilities ? { capabilities: atlas.capabilities } : {}),
    ...(atlas?.deadlineMs ? { deadlineMs: atlas.deadlineMs } : {}),
    ...(atlas?.idempotencyKey ? { idempotencyKey: atlas.idempotencyKey } : {}),
    ...(atlas?.metadata ? { metadata: atlas.metadata } : {}),
    ...(maxTokens ? { maxTokens } : {}),
    ...(body.temperature !== undefined && body.temperature !== null ? { temperature: body.temperature } : {}),
    ...(tools?.length ? { tools } : {}),
    ...(body.response_format ? { responseFormat: responseFormatOf(body.response_format) } : {}),
    ...(body.stream ? { stream: true } : {}),
  };
}

function routeOf(model: string, registry: ProviderRegistry): Pick<GenerationRequest, 'providers' | 'model'> {
  if (anyModel.has(model)) return {};
  const instances = registry.instances();
  if (instances.some((instance) => instance.name === model)) return { providers: [model] };
  const slash = model.indexOf('/');
  if (slash > 0) {
    const instance = model.slice(0, slash);
    if (instances.some((candidate) => candidate.name === instance))
      return { providers: [instance], model: model.slice(slash + 1) };
  }
  const serving = instances.filter((instance) => registry.model(instance.name, model) !== undefined);
  if (serving.length === 0)
    throw new ValidationError(
      'body.model',
      `no configured instance serves '${model}'; use an instance name (${instances.map((instance) => instance.name).join(', ')}), 'instance/model', or 'atlas'`,
    );
  return { providers: serving.map((instance) => instance.name), model };
}

function responseFormatOf(
  format: NonNullable<ChatCompletionRequest['response_format']>,
): NonNullable<GenerationRequest['responseFormat']> {
  if (format.type === 'json_object') return { type: 'json' };
  if (format.type === 'json_schema')
    return {
      type: 'json_schema',
      schema: format.json_schema.schema,
      ...(format.json_schema.name ? { name: format.json_schema.name } : {}),
    };
  return { type: 'text' };
}

function parseArguments(raw: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(raw || '{}') as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw new ValidationError('body.messages.tool_calls.function.arguments', 'expected a JSON object');
}
