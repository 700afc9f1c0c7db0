import type { ServerResponse } from 'node:http';
import { builtInCatalogue, findModel } from '../../src/shared/providers/catalogue.js';
import { hashingEmbedding } from '../../src/shared/providers/mock/hashing-embedder.js';
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
import { readWireChunks, readWireJson } from './read-wire.js';

type Body = Record<string, any>;

const recordedText = readWireJson<Body>('openai/openai-text.json');
const recordedChunks = readWireChunks<Body>('openai/openai-text.chunks.txt');
const legacyParameterError = readWireJson<Body>('openai/reasoning-model-legacy-parameter-error.json');

const errorBody = (message: string, type: string, code: string | null, param: string | null = null) => ({
  error: { message, type, param, code },
});

export interface OpenAIFake {
  server: FakeServer;
  url: string;
  /** The base URL to give the SDK (the API lives under /v1). */
  baseURL: string;
  apiKey: string;
  close(): Promise<void>;
}

/** A loopback server speaking OpenAI's Chat Completions, Embeddings and Models APIs as recorded. */
export async function startOpenAIFake(options: { apiKey?: string } = {}): Promise<OpenAIFake> {
  const apiKey = options.apiKey ?? 'sk-fake-openai-key';
  const server = await new FakeServer((request, response) => handle(request, response, apiKey)).start();
  return { server, url: server.url, baseURL: `${server.url}/v1`, apiKey, close: () => server.close() };
}

function handle(request: FakeRequest, response: ServerResponse, apiKey: string) {
  if (request.fault === 'bad-key' || bearerToken(request.headers) !== apiKey) {
    return sendJson(
      response,
      401,
      errorBody(
        'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
        'invalid_request_error',
        'invalid_api_key',
      ),
    );
  }
  switch (request.fault) {
    case 'server-error':
      return sendJson(
        response,
        500,
        errorBody(
          'The server had an error while processing your request. Sorry about that!',
          'server_error',
          null,
        ),
      );
    case 'rate-limit':
      return sendJson(
        response,
        429,
        errorBody(
          'Rate limit reached for requests. Please try again in 2s.',
          'requests',
          'rate_limit_exceeded',
        ),
        { 'retry-after': String(fakeRetryAfterSeconds) },
      );
    case 'malformed':
      return sendMalformed(response);
    case 'context-length':
      return sendJson(
        response,
        400,
        errorBody(
          "This model's maximum context length is 128000 tokens. However, your messages resulted in 130412 tokens. Please reduce the length of the messages.",
          'invalid_request_error',
          'context_length_exceeded',
          'messages',
        ),
      );
    case 'invalid-request':
      return sendJson(response, 400, legacyParameterError);
  }
  const body = (request.body ?? {}) as Body;
  if (request.method === 'GET' && request.path.startsWith('/v1/models')) {
    return sendJson(response, 200, {
      object: 'list',
      data: [{ id: 'gpt-4o-mini', object: 'model', created: 1721172741, owned_by: 'system' }],
    });
  }
  if (request.method === 'POST' && request.path === '/v1/embeddings') return embeddings(body, response);
  if (request.method === 'POST' && request.path === '/v1/chat/completions') {
    const chunks = chatChunks(body);
    if (body['stream']) return stream(chunks, body, response, request.fault === 'stream-cut');
    return sendJson(response, 200, completion(body));
  }
  sendJson(
    response,
    404,
    errorBody(
      `Unknown request URL: ${request.method} ${request.path}`,
      'invalid_request_error',
      'unknown_url',
    ),
  );
}

function toolCallArguments(body: Body): { name: string; arguments: string } | undefined {
  const tool = (body['tools'] as Body[] | undefined)?.[0];
  if (!tool) return undefined;
  return {
    name: tool['function']['name'],
    arguments: JSON.stringify(sampleFromSchema(tool['function']['parameters'])),
  };
}

function structuredText(body: Body): string | undefined {
  const format = body['response_format'] as Body | undefined;
  if (format?.['type'] === 'json_schema')
    return JSON.stringify(sampleFromSchema(format['json_schema']['schema']));
  if (format?.['type'] === 'json_object') return JSON.stringify({ reply: 'fake' });
  return undefined;
}

function completion(body: Body): Body {
  const call = toolCallArguments(body);
  const text = structuredText(body);
  const choice = recordedText['choices'][0];
  const message = call
    ? {
        role: 'assistant',
        content: null,
        refusal: null,
        tool_calls: [{ id: 'call_fake_0', type: 'function', function: call }],
      }
    : { ...choice['message'], content: text ?? choice['message']['content'] };
  return {
    ...recordedText,
    model: body['model'],
    choices: [{ ...choice, message, finish_reason: call ? 'tool_calls' : 'stop' }],
  };
}

/** The chunks of a streamed reply: the recorded text stream, or a tool call / JSON shaped the same way. */
function chatChunks(body: Body): Body[] {
  const base = { ...recordedChunks[0], model: body['model'] };
  const chunk = (delta: Body, finishReason: string | null = null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    usage: null,
  });
  const usage = recordedChunks.at(-1)!;
  const call = toolCallArguments(body);
  if (call) {
    const pieces = call.arguments.match(/.{1,4}/gs) ?? [];
    return [
      chunk({ role: 'assistant', content: null }),
      chunk({
        tool_calls: [
          { index: 0, id: 'call_fake_0', type: 'function', function: { name: call.name, arguments: '' } },
        ],
      }),
      ...pieces.map((piece) => chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] })),
      chunk({}, 'tool_calls'),
      { ...usage, model: body['model'] },
    ];
  }
  const text = structuredText(body);
  if (text) {
    return [
      chunk({ role: 'assistant', content: '' }),
      ...(text.match(/.{1,8}/gs) ?? []).map((piece) => chunk({ content: piece })),
      chunk({}, 'stop'),
      { ...usage, model: body['model'] },
    ];
  }
  return recordedChunks.map((recorded) => ({ ...recorded, model: body['model'] }));
}

function stream(chunks: Body[], body: Body, response: ServerResponse, cut: boolean): void {
  const includeUsage = Boolean(body['stream_options']?.['include_usage']);
  const events = chunks
    .filter((chunk) => includeUsage || (chunk['choices'] as unknown[]).length > 0)
    .map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`);
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
  });
  if (cut) {
    cutStream(response, events, 3);
    return;
  }
  for (const event of events) response.write(event);
  response.end('data: [DONE]\n\n');
}

function embeddings(body: Body, response: ServerResponse): void {
  const inputs: string[] = Array.isArray(body['input']) ? body['input'] : [body['input']];
  const dimensions = findModel(builtInCatalogue, body['model'])?.embeddingDimensions ?? 1536;
  const tokens = inputs.reduce((sum, input) => sum + Math.ceil(input.length / 4), 0);
  sendJson(response, 200, {
    object: 'list',
    data: inputs.map((input, index) => ({
      object: 'embedding',
      index,
      embedding: hashingEmbedding(input, dimensions),
    })),
    model: body['model'],
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}
