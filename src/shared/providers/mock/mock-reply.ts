import type { Message, ResponseFormat, ToolCall } from '../../jobs.js';
import type { MockRule } from './mock-settings.js';

export interface MockReply {
  text: string;
  toolCalls: ToolCall[];
}

export function messageText(message: Message | undefined): string {
  return message?.content ?? '';
}

/** The first rule whose `match` (substring, or `/regex/flags`) fits the last message. */
export function findRule(script: readonly MockRule[], lastText: string): MockRule | undefined {
  return script.find((rule) => {
    const regex = /^\/(.*)\/([a-z]*)$/s.exec(rule.match);
    return regex ? new RegExp(regex[1]!, regex[2]).test(lastText) : lastText.includes(rule.match);
  });
}

/**
 * A deterministic reply: a scripted rule when one matches the last message; otherwise an object that
 * fits the requested JSON schema, an acknowledgement of a tool result, or an echo of the prompt.
 */
export function mockReply(options: {
  instance: string;
  model: string;
  messages: Message[];
  script: readonly MockRule[];
  responseFormat: ResponseFormat | undefined;
  callNumber: number;
}): MockReply {
  const last = options.messages.at(-1);
  const lastText = messageText(last);
  const rule = findRule(options.script, lastText);
  if (rule) {
    return {
      text: rule.reply ?? '',
      toolCalls: (rule.toolCalls ?? []).map((call, index) => ({
        id: `call_${options.callNumber}_${index}`,
        name: call.name,
        arguments: call.arguments,
      })),
    };
  }
  if (options.responseFormat?.type === 'json_schema') {
    return { text: JSON.stringify(sampleFromSchema(options.responseFormat.schema)), toolCalls: [] };
  }
  if (options.responseFormat?.type === 'json')
    return { text: JSON.stringify({ reply: lastText }), toolCalls: [] };
  if (last?.role === 'tool')
    return { text: `Tool ${last.name ?? last.toolCallId} returned: ${lastText}`, toolCalls: [] };
  return { text: `Mock reply from ${options.instance} (${options.model}) to: ${lastText}`, toolCalls: [] };
}

/** The simplest value that satisfies a JSON schema: enough for structured-output round trips. */
export function sampleFromSchema(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null) return null;
  const node = schema as Record<string, unknown>;
  if ('const' in node) return node['const'];
  if (Array.isArray(node['enum'])) return node['enum'][0];
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    if (Array.isArray(node[key]) && node[key].length > 0) return sampleFromSchema(node[key][0]);
  }
  const type = Array.isArray(node['type']) ? node['type'][0] : node['type'];
  switch (type) {
    case 'object': {
      const properties = (node['properties'] ?? {}) as Record<string, unknown>;
      return Object.fromEntries(
        Object.entries(properties).map(([name, child]) => [name, sampleFromSchema(child)]),
      );
    }
    case 'array': {
      const minItems = typeof node['minItems'] === 'number' ? node['minItems'] : 0;
      return Array.from({ length: minItems }, () => sampleFromSchema(node['items']));
    }
    case 'string':
      return 'mock';
    case 'integer':
    case 'number':
      return typeof node['minimum'] === 'number' ? node['minimum'] : 0;
    case 'boolean':
      return true;
    default:
      return null;
  }
}

/** Words kept with their trailing space, so the deltas join back into the text exactly. */
export function splitIntoDeltas(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
