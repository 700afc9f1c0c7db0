import { randomUUID } from 'node:crypto';
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
} from './fake-server.js';
import { readWireChunks, readWireJson } from './read-wire.js';

type Body = Record<string, any>;

const recordedText = readWireJson<Body>('openai/openai-text.json');
const recordedChunks = readWireChunks<Body>('openai/openai-text.chunks.txt');
const recordedEmbedding = readWireJson<Body>('openai/openai-embedding.json');
const legacyParameterError = readWireJson<Body>('openai/reasoning-model-legacy-parameter-error.json');

/**
 * Scripts the tool calls of a conversation with tools: given how many tool results it holds, the call
 * to make next, or null to answer with text. Without a script the fake calls the first offered tool
 * until a tool result comes back.
 */
export type ToolScript = (toolResults: number) => { name: string; arguments: Record<string, unknown> } | null;

/** The id the fake gives every tool call it makes. */
export const fakeToolCallId = 'call_fake_0';

export interface OpenAIFake {
  server: FakeServer;
  url: string;
  /** The base URL to give the SDK (the API lives under /v1). */
  baseURL: string;
  /** The one key the fake accepts. */
  apiKey: string;
  close(): Promise<void>;
}

/**
 * A loopback server speaking OpenAI's Chat Completions, Embeddings and Models APIs the way the recorded
 * responses in test/fixtures/wire/openai do: the same JSON, the same SSE framing, the same error bodies.
 */
export async function startOpenAIFake(
  options: { apiKey?: string; toolScript?: ToolScript } = {},
): Promise<OpenAIFake> {
  const apiKey = options.apiKey ?? 'sk-fake-openai-key';
  const script = options.toolScript;
  const server = await new FakeServer((request, response) =>
    handle(request, response, apiKey, script),
  ).start();
  return { server, url: server.url, baseURL: `${server.url}/v1`, apiKey, close: () => server.close() };
}

/** Headers every OpenAI answer carries; the SDK keeps `x-request-id` on its errors. */
function apiHeaders(): Record<string, string> {
  return { 'x-request-id': `req_${randomUUID().replaceAll('-', '')}`, 'openai-version': '2020-10-01' };
}

const errorBody = (message: string, type: string, code: string | null, param: string | null = null) => ({
  error: { message, type, param, code },
});

/** The status, body and headers OpenAI answers with for each queued fault that is an error reply. */
function faultReply(
  fault: FakeRequest['fault'],
  model: string,
): { status: number; body: Body; headers?: Record<string, string> } | undefined {
  switch (fault) {
    case 'server-error':
      return { status: 500, body: errorBody(serverErrorMessage, 'server_error', null) };
    case 'rate-limit':
      return {
        status: 429,
        body: errorBody(rateLimitMessage(model), 'requests', 'rate_limit_exceeded'),
        headers: { 'retry-after': String(fakeRetryAfterSeconds) },
      };
    case 'context-length':
      return {
        status: 400,
        body: errorBody(contextLengthMessage, 'invalid_request_error', 'context_length_exceeded', 'messages'),
      };
    case 'invalid-request':
      return { status: 400, body: legacyParameterError };
    default:
      return undefined;
  }
}

const serverErrorMessage = 'The server had an error while processing your request. Sorry about that!';
const contextLengthMessage =
  "This model's maximum context length is 128000 tokens. However, your messages resulted in 130412 tokens. Please reduce the length of the messages.";
const rateLimitMessage = (model: string) =>
  `Rate limit reached for ${model} in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in ${fakeRetryAfterSeconds}s. Visit https://platform.openai.com/account/rate-limits to learn more.`;

/** OpenAI shows the start and end of a wrong key in its 401, never the whole key. */
function maskKey(key: string): string {
  return key.length <= 12 ? '*'.repeat(key.length) : `${key.slice(0, 7)}${'*'.repeat(16)}${key.slice(-4)}`;
}

function handle(request: FakeRequest, response: ServerResponse, apiKey: string, script?: ToolScript) {
  const headers = apiHeaders();
  const given = bearerToken(request.headers);
  if (request.fault === 'bad-key' || given !== apiKey) {
    const message = given
      ? `Incorrect API key provided: ${maskKey(given)}. You can find your API key at https://platform.openai.com/account/api-keys.`
      : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";
    return sendJson(
      response,
      401,
      errorBody(message, 'invalid_request_error', given ? 'invalid_api_key' : null),
      headers,
    );
  }
  const body = (request.body ?? {}) as Body;
  const failure = faultReply(request.fault, String(body['model'] ?? 'gpt-4o-mini'));
  if (failure) return sendJson(response, failure.status, failure.body, { ...headers, ...failure.headers });
  if (request.method === 'GET' && request.path === '/v1/models')
    return sendJson(response, 200, models(), headers);
  if (request.method === 'POST' && request.path === '/v1/embeddings') {
    return sendJson(response, 200, embeddings(body), headers);
  }
  if (request.method === 'POST' && request.path === '/v1/chat/completions') {
    // Reasoning models refuse the legacy parameter, as recorded.
    if (/^o\d/.test(String(body['model'])) && body['max_tokens'] !== undefined) {
      return sendJson(response, 400, legacyParameterError, headers);
    }
    if (script) body['__script'] = script;
    if (body['stream']) return stream(body, request.fault, response, headers);
    if (request.fault === 'malformed')
      return sendBroken(response, '{"id": "chatcmpl-truncated", "choices": [');
    if (request.fault === 'stream-cut') return sendBroken(response, JSON.stringify(completion(body)), true);
    return sendJson(response, 200, completion(body), headers);
  }
  const path = `${request.method} ${request.path}`;
  sendJson(
    response,
    404,
    errorBody(`Unknown request URL: ${path}.`, 'invalid_request_error', 'unknown_url'),
    headers,
  );
}

function models(): Body {
  return {
    object: 'list',
    data: builtInCatalogue
      .filter((model) => model.providerType === 'openai')
      .map((model) => ({ id: model.id, object: 'model', created: 1_715_367_049, owned_by: 'system' })),
  };
}

/** A 200 whose body is cut off: broken JSON, or (`drop`) a good body whose connection dies half-way. */
function sendBroken(response: ServerResponse, text: string, drop = false) {
  response.writeHead(200, { 'content-type': 'application/json', ...apiHeaders() });
  if (!drop) return void response.end(text);
  response.write(text.slice(0, Math.floor(text.length / 2)));
  setTimeout(() => response.socket?.destroy(), 10);
}

/** The API answers with a dated snapshot of the model asked for (`gpt-4o-mini-2025-04-14`). */
function snapshot(model: unknown): string {
  const name = typeof model === 'string' && model ? model : 'gpt-4o-mini';
  return /-\d{4}-\d{2}-\d{2}$/.test(name) ? name : `${name}-2025-04-14`;
}

type Reply =
  | { kind: 'recorded' }
  | { kind: 'text'; text: string }
  | { kind: 'tool'; name: string; arguments: string };

/**
 * What the model "says": a call of the first offered tool (arguments sampled from its schema) unless the
 * conversation already ends with a tool result; JSON fitting a requested schema; else the recorded text.
 */
function reply(body: Body): Reply {
  const tool = (body['tools'] as Body[] | undefined)?.[0];
  const last = (body['messages'] as Body[] | undefined)?.at(-1);
  const script = body['__script'] as ToolScript | undefined;
  if (tool && script) {
    const results = ((body['messages'] as Body[] | undefined) ?? []).filter((m) => m['role'] === 'tool');
    const call = script(results.length);
    if (call) return { kind: 'tool', name: call.name, arguments: JSON.stringify(call.arguments) };
  } else if (tool && last?.['role'] !== 'tool') {
    const name = tool['function']['name'] as string;
    return {
      kind: 'tool',
      name,
      arguments: JSON.stringify(sampleFromSchema(tool['function']['parameters'])),
    };
  }
  const format = body['response_format'] as Body | undefined;
  if (format?.['type'] === 'json_schema') {
    return { kind: 'text', text: JSON.stringify(sampleFromSchema(format['json_schema']['schema'])) };
  }
  if (format?.['type'] === 'json_object') return { kind: 'text', text: JSON.stringify({ reply: 'fake' }) };
  return { kind: 'recorded' };
}

const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

function usage(body: Body, output: string): Body {
  const input = JSON.stringify(body['messages'] ?? '');
  const prompt = tokens(input);
  const completionTokens = tokens(output);
  return {
    ...recordedText['usage'],
    prompt_tokens: prompt,
    completion_tokens: completionTokens,
    total_tokens: prompt + completionTokens,
  };
}

function completion(body: Body): Body {
  const answer = reply(body);
  const [choice] = recordedText['choices'];
  const base = { ...recordedText, id: `chatcmpl-${randomUUID()}`, model: snapshot(body['model']) };
  if (answer.kind === 'recorded') return base;
  const message =
    answer.kind === 'tool'
      ? {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: fakeToolCallId,
              type: 'function',
              function: { name: answer.name, arguments: answer.arguments },
            },
          ],
          refusal: null,
          annotations: [],
        }
      : { ...choice['message'], content: answer.text };
  const output = answer.kind === 'tool' ? answer.arguments : answer.text;
  return {
    ...base,
    choices: [{ ...choice, message, finish_reason: answer.kind === 'tool' ? 'tool_calls' : 'stop' }],
    usage: usage(body, output),
  };
}

/** Splits JSON at roughly token boundaries, as the recorded tool-call streams do (`{`, `"`, `location`, …). */
function jsonPieces(text: string): string[] {
  return text.match(/[{}[\]":,]|[^{}[\]":,]+/g) ?? [];
}

/** The chunks of a streamed reply, the last one being the usage chunk that include_usage adds. */
function streamChunks(body: Body): Body[] {
  const model = snapshot(body['model']);
  const answer = reply(body);
  if (answer.kind === 'recorded') return recordedChunks.map((chunk) => ({ ...chunk, model }));
  const [first] = recordedChunks;
  const id = `chatcmpl-${randomUUID()}`;
  const chunk = (delta: Body, finishReason: string | null = null): Body => ({
    ...first,
    id,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    usage: null,
  });
  const usageChunk = { ...recordedChunks.at(-1), id, model };
  if (answer.kind === 'tool') {
    return [
      chunk({ role: 'assistant', content: null, refusal: null }),
      chunk({
        tool_calls: [
          { index: 0, id: fakeToolCallId, type: 'function', function: { name: answer.name, arguments: '' } },
        ],
      }),
      ...jsonPieces(answer.arguments).map((piece) =>
        chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }),
      ),
      chunk({}, 'tool_calls'),
      { ...usageChunk, usage: usage(body, answer.arguments) },
    ];
  }
  return [
    chunk({ role: 'assistant', content: '', refusal: null }),
    ...jsonPieces(answer.text).map((piece) => chunk({ content: piece })),
    chunk({}, 'stop'),
    { ...usageChunk, usage: usage(body, answer.text) },
  ];
}

function stream(body: Body, fault: FakeRequest['fault'], response: ServerResponse, headers: object) {
  const includeUsage = Boolean(body['stream_options']?.['include_usage']);
  const events = streamChunks(body)
    .filter((chunk) => includeUsage || (chunk['choices'] as unknown[]).length > 0)
    // Without include_usage the API leaves `usage` out of every chunk.
    .map(({ usage, ...chunk }) => `data: ${JSON.stringify(includeUsage ? { ...chunk, usage } : chunk)}\n\n`);
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    ...headers,
  });
  if (fault === 'stream-cut') return cutStream(response, events, 3);
  if (fault === 'malformed') {
    response.write(events[0]);
    return void response.end('data: {"id":"chatcmpl-truncated","choices":[{"delta":\n\n');
  }
  for (const event of events) response.write(event);
  response.end('data: [DONE]\n\n');
}

/** Vectors of the dimension the catalogue gives the model, the same for the same text. */
function embeddings(body: Body): Body {
  const inputs: string[] = Array.isArray(body['input']) ? body['input'] : [body['input']];
  const dimensions =
    body['dimensions'] ?? findModel(builtInCatalogue, String(body['model']))?.embeddingDimensions ?? 1536;
  const count = inputs.reduce((sum, input) => sum + tokens(String(input)), 0);
  return {
    ...recordedEmbedding,
    data: inputs.map((input, index) => ({
      object: 'embedding',
      index,
      embedding: encode(hashingEmbedding(String(input), dimensions), body['encoding_format']),
    })),
    model: body['model'],
    usage: { prompt_tokens: count, total_tokens: count },
  };
}

/** `base64` (the SDK's default) is the vector's float32 little-endian bytes; `float` (the API's) a JSON array. */
function encode(vector: number[], format: unknown): number[] | string {
  return format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
}
