import type Anthropic from '@anthropic-ai/sdk';
import type { Message } from '../../jobs.js';
import type { FinishReason, ProviderRequest } from '../provider.js';

type MessageParam = Anthropic.MessageParam;
type ContentBlock = Anthropic.ContentBlockParam;

/** Name of the forced tool that carries JSON-schema output, when the caller names none. */
export const structuredOutputTool = 'json';

function blocksOf(message: Message): ContentBlock[] {
  switch (message.role) {
    case 'system':
    case 'user':
      return message.content ? [{ type: 'text', text: message.content }] : [];
    case 'assistant':
      return [
        ...(message.content ? [{ type: 'text' as const, text: message.content }] : []),
        ...(message.toolCalls ?? []).map((call) => ({
          type: 'tool_use' as const,
          id: call.id,
          name: call.name,
          input: call.arguments,
        })),
      ];
    case 'tool':
      return [{ type: 'tool_result', tool_use_id: message.toolCallId, content: message.content }];
  }
}

/**
 * The Messages API body. System messages join the top-level system prompt; tool results travel in
 * user turns; consecutive turns of one role merge, as the API wants them to alternate. JSON-schema
 * output is a forced tool whose input is the answer.
 */
export function toAnthropicRequest(
  request: ProviderRequest,
  model: string,
  defaultMaxTokens: number,
): Anthropic.MessageCreateParamsNonStreaming {
  const system = [
    request.system,
    ...request.messages.filter((message) => message.role === 'system').map((message) => message.content),
  ]
    .filter(Boolean)
    .join('\n\n');
  const messages: MessageParam[] = [];
  for (const message of request.messages) {
    if (message.role === 'system') continue;
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const previous = messages.at(-1);
    const blocks = blocksOf(message);
    if (previous && previous.role === role && Array.isArray(previous.content))
      previous.content.push(...blocks);
    else messages.push({ role, content: blocks });
  }
  const tools: Anthropic.Tool[] = (request.tools ?? []).map((tool) => ({
    name: tool.name,
    description: tool.description,
    input_schema: tool.parameters as Anthropic.Tool.InputSchema,
  }));
  const format = request.responseFormat;
  let toolChoice: Anthropic.ToolChoice | undefined;
  if (format && format.type !== 'text') {
    const name = format.type === 'json_schema' ? format.name : structuredOutputTool;
    const schema = format.type === 'json_schema' ? format.schema : { type: 'object' };
    tools.push({
      name,
      description: 'Answer with the requested JSON.',
      input_schema: schema as Anthropic.Tool.InputSchema,
    });
    toolChoice = { type: 'tool', name };
  }
  return {
    model,
    max_tokens: request.maxTokens ?? defaultMaxTokens,
    messages,
    ...(system ? { system } : {}),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(tools.length ? { tools } : {}),
    ...(toolChoice ? { tool_choice: toolChoice } : {}),
  };
}

/** The forced tool's name when the request asks for structured output. */
export function structuredToolName(request: ProviderRequest): string | undefined {
  const format = request.responseFormat;
  if (!format || format.type === 'text') return undefined;
  return format.type === 'json_schema' ? format.name : structuredOutputTool;
}

export function mapAnthropicStopReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'other';
  }
}
