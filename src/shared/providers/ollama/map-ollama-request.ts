import type { ChatRequest, Message as OllamaMessage, Tool as OllamaTool } from 'ollama';
import type { Message } from '../../jobs.js';
import type { ProviderRequest } from '../provider.js';

function toOllamaMessage(message: Message): OllamaMessage {
  switch (message.role) {
    case 'system':
    case 'user':
      return { role: message.role, content: message.content };
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content,
        ...(message.toolCalls?.length
          ? {
              tool_calls: message.toolCalls.map((call) => ({
                function: { name: call.name, arguments: call.arguments },
              })),
            }
          : {}),
      };
    case 'tool':
      return { role: 'tool', content: message.content, ...(message.name ? { tool_name: message.name } : {}) };
  }
}

/** The /api/chat body for a request (without `stream`). */
export function toOllamaRequest(request: ProviderRequest, model: string): ChatRequest {
  const format = request.responseFormat;
  const tools: OllamaTool[] | undefined = request.tools?.map((tool) => ({
    type: 'function',
    function: {
      name: tool.name,
      description: tool.description,
      parameters: tool.parameters as OllamaTool['function']['parameters'],
    },
  }));
  const options = {
    ...(request.maxTokens === undefined ? {} : { num_predict: request.maxTokens }),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
  };
  return {
    model,
    messages: [
      ...(request.system ? [{ role: 'system', content: request.system }] : []),
      ...request.messages.map(toOllamaMessage),
    ],
    ...(tools?.length ? { tools } : {}),
    ...(format?.type === 'json_schema'
      ? { format: format.schema }
      : format?.type === 'json'
        ? { format: 'json' }
        : {}),
    ...(Object.keys(options).length ? { options } : {}),
  };
}
