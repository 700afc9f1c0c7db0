import type { ServerResponse } from 'node:http';
import { sampleFromSchema } from '../../src/shared/providers/mock/mock-reply.js';
import {
  bearerToken,
  cutStream,
  type FakeRequest,
  FakeServer,
  fakeRetryAfterSeconds,
  sendJson,
  sendMalformed,
} from './fake-server.js';
import type { ToolScript } from './openai-fake.js';
import { readWireChunks, readWireJson } from './read-wire.js';

type Body = Record<string, any>;

const recordedText = readWireJson<Body>('anthropic/anthropic-text.json');
const recordedTextChunks = readWireChunks<Body>('anthropic/anthropic-text.chunks.txt');
const recordedToolChunks = readWireChunks<Body>('anthropic/anthropic-json-tool.1.chunks.txt');

const errorBody = (type: string, message: string) => ({
  type: 'error',
  error: { type, message },
  request_id: 'req_fake_0001',
});

export interface AnthropicFake {
  server: FakeServer;
  url: string;
  apiKey: string;
  close(): Promise<void>;
}

/** A loopback server speaking Anthropic's Messages and Models APIs as recorded. */
export async function startAnthropicFake(
  options: { apiKey?: string; toolScript?: ToolScript } = {},
): Promise<AnthropicFake> {
  const apiKey = options.apiKey ?? 'sk-ant-fake-key';
  const script = options.toolScript;
  const server = await new FakeServer((request, response) =>
    handle(request, response, apiKey, script),
  ).start();
  return { server, url: server.url, apiKey, close: () => server.close() };
}

function handle(request: FakeRequest, response: ServerResponse, apiKey: string, script?: ToolScript) {
  // SDK 1.x sends the key as a bearer token; older clients send x-api-key. The API takes both.
  const key = request.headers['x-api-key'] ?? bearerToken(request.headers);
  if (request.fault === 'bad-key' || key !== apiKey) {
    return sendJson(response, 401, errorBody('authentication_error', 'invalid x-api-key'));
  }
  switch (request.fault) {
    case 'server-error':
      return sendJson(response, 529, errorBody('overloaded_error', 'Overloaded'));
    case 'rate-limit':
      return sendJson(
        response,
        429,
        errorBody('rate_limit_error', 'This request would exceed the rate limit for your organization.'),
        { 'retry-after': String(fakeRetryAfterSeconds) },
      );
    case 'malformed':
      return sendMalformed(response);
    case 'context-length':
      return sendJson(
        response,
        400,
        errorBody('invalid_request_error', 'prompt is too long: 208310 tokens > 200000 maximum'),
      );
    case 'invalid-request':
      return sendJson(response, 400, errorBody('invalid_request_error', 'max_tokens: Field required'));
  }
  const body = (request.body ?? {}) as Body;
  if (request.method === 'GET' && request.path.startsWith('/v1/models')) {
    return sendJson(response, 200, {
      data: [
        {
          type: 'model',
          id: 'claude-sonnet-4-20250514',
          display_name: 'Claude Sonnet 4',
          created_at: '2025-05-22T00:00:00Z',
        },
      ],
      has_more: false,
      first_id: 'claude-sonnet-4-20250514',
      last_id: 'claude-sonnet-4-20250514',
    });
  }
  if (request.method === 'POST' && request.path === '/v1/messages') {
    if (script) body['__script'] = script;
    const events = messageEvents(body);
    if (body['stream']) {
      const frames = events.map((event) => `event: ${event['type']}\ndata: ${JSON.stringify(event)}\n\n`);
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
      });
      if (request.fault === 'stream-cut') {
        cutStream(response, frames, 3);
        return;
      }
      for (const frame of frames) response.write(frame);
      response.end();
      return;
    }
    return sendJson(response, 200, message(body));
  }
  sendJson(response, 404, errorBody('not_found_error', `Not found: ${request.method} ${request.path}`));
}

/** The tool the reply calls: the scripted one, else the forced one, else the first offered. */
function chosenTool(body: Body): Body | undefined {
  const tools = body['tools'] as Body[] | undefined;
  if (!tools?.length) return undefined;
  const script = body['__script'] as ToolScript | undefined;
  if (script) {
    const results = ((body['messages'] as Body[] | undefined) ?? []).flatMap((message) =>
      Array.isArray(message['content'])
        ? (message['content'] as Body[]).filter((block) => block['type'] === 'tool_result')
        : [],
    );
    const call = script(results.length);
    if (!call) return undefined;
    const tool = tools.find((candidate) => candidate['name'] === call.name);
    return tool && { ...tool, scriptedInput: call.arguments };
  }
  const forced = body['tool_choice']?.['type'] === 'tool' ? body['tool_choice']['name'] : undefined;
  return tools.find((tool) => tool['name'] === forced) ?? tools[0];
}

function message(body: Body): Body {
  const tool = chosenTool(body);
  if (!tool) return { ...recordedText, model: body['model'] };
  return {
    ...recordedText,
    model: body['model'],
    content: [
      {
        type: 'tool_use',
        id: 'toolu_fake_0',
        name: tool['name'],
        input: tool['scriptedInput'] ?? sampleFromSchema(tool['input_schema']),
      },
    ],
    stop_reason: 'tool_use',
  };
}

function messageEvents(body: Body): Body[] {
  const tool = chosenTool(body);
  const withModel = (event: Body) =>
    event['type'] === 'message_start'
      ? { ...event, message: { ...event['message'], model: body['model'] } }
      : event;
  if (!tool) return recordedTextChunks.map(withModel);
  const input = JSON.stringify(tool['scriptedInput'] ?? sampleFromSchema(tool['input_schema']));
  const [start, , , , , , stop, messageDelta, messageStop] = recordedToolChunks;
  return [
    withModel(start!),
    {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'tool_use', id: 'toolu_fake_0', name: tool['name'], input: {} },
    },
    { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '' } },
    { type: 'ping' },
    ...(input.match(/.{1,6}/gs) ?? []).map((piece) => ({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'input_json_delta', partial_json: piece },
    })),
    stop!,
    messageDelta!,
    messageStop!,
  ];
}
