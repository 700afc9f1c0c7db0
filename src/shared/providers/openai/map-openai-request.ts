import type OpenAI from 'openai';
import type { Message, ResponseFormat, Tool } from '../../jobs.js';
import type { ProviderRequest } from '../provider.js';

type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type ChatTool = OpenAI.Chat.Completions.ChatCompletionTool;
type ChatResponseFormat = OpenAI.Chat.Completions.ChatCompletionCreateParams['response_format'];

function toOpenAIMessage(message: Message): ChatMessage {
  switch (message.role) {
    case 'system':
    case 'user':
      return { role: message.role, content: message.content };
    case 'assistant':
      if (!message.toolCalls?.length) return { role: 'assistant', content: message.content };
      return {
        role: 'assistant',
        // The API wants null, not '', beside tool calls that carry no text.
        content: message.content || null,
        tool_calls: message.toolCalls.map((call) => ({
          id: call.id,
          type: 'function' as const,
          function: { name: call.name, arguments: JSON.stringify(call.arguments) },
        })),
      };
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
  }
}

function toOpenAITool(tool: Tool): ChatTool {
  return {
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description ? { description: tool.description } : {}),
      parameters: tool.parameters,
    },
  };
}

function toOpenAIResponseFormat(format: ResponseFormat): ChatResponseFormat {
  switch (format.type) {
    case 'json_schema':
      return { type: 'json_schema', json_schema: { name: format.name, schema: format.schema, strict: true } };
    case 'json':
      return { type: 'json_object' };
    case 'text':
      return { type: 'text' };
  }
}

/** The Chat Completions body for a request, without the `stream` fields. */
export function toOpenAIRequest(
  request: ProviderRequest,
  model: string,
): OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming {
  return {
    model,
    messages: [
      ...(request.system ? [{ role: 'system' as const, content: request.system }] : []),
      ...request.messages.map(toOpenAIMessage),
    ],
    // `max_tokens` is deprecated and refused by reasoning models (the recorded 400 says so).
    ...(request.maxTokens === undefined ? {} : { max_completion_tokens: request.maxTokens }),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.tools?.length ? { tools: request.tools.map(toOpenAITool) } : {}),
    ...(request.responseFormat ? { response_format: toOpenAIResponseFormat(request.responseFormat) } : {}),
  };
}
