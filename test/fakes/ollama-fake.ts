import type { ServerResponse } from 'node:http';
import { builtInCatalogue, findModel } from '../../src/shared/providers/catalogue.js';
import { hashingEmbedding } from '../../src/shared/providers/mock/hashing-embedder.js';
import { sampleFromSchema } from '../../src/shared/providers/mock/mock-reply.js';
import {
  bearerToken,
  cutStream,
  type FakeRequest,
  FakeServer,
  sendJson,
  sendMalformed,
} from './fake-server.js';

type Body = Record<string, any>;

/** The reply text, streamed a word at a time as Ollama does (shapes from Ollama's API reference). */
const replyText = 'The sky is blue because of the way the Earth’s atmosphere scatters sunlight.';

export interface OllamaFake {
  server: FakeServer;
  url: string;
  /** When set, requests must carry it as a bearer token (Ollama behind an authenticating proxy). */
  apiKey: string | undefined;
  close(): Promise<void>;
}

/** A loopback server speaking Ollama's native API (/api/chat, /api/embed, /api/tags) as documented. */
export async function startOllamaFake(
  options: {
    apiKey?: string;
    /** Echo the bearer token a refused request carried in the 401 body, as some proxies do. */
    echoKey?: boolean;
  } = {},
): Promise<OllamaFake> {
  const server = await new FakeServer((request, response) =>
    handle(request, response, options.apiKey, options.echoKey === true),
  ).start();
  return { server, url: server.url, apiKey: options.apiKey, close: () => server.close() };
}

function handle(
  request: FakeRequest,
  response: ServerResponse,
  apiKey: string | undefined,
  echoKey: boolean,
) {
  if (request.fault === 'bad-key' || (apiKey !== undefined && bearerToken(request.headers) !== apiKey)) {
    const error = echoKey ? `unauthorized: bearer ${String(bearerToken(request.headers))}` : 'unauthorized';
    return sendJson(response, 401, { error });
  }
  switch (request.fault) {
    case 'server-error':
      return sendJson(response, 500, { error: 'llama runner process has terminated: signal: killed' });
    case 'rate-limit':
      return sendJson(response, 429, { error: 'too many requests' }, request.retryAfterHeaders);
    case 'malformed':
      return sendMalformed(response);
    case 'invalid-request':
      return sendJson(response, 400, { error: 'invalid format: expected "json" or a JSON schema' });
    case 'context-length':
      return sendJson(response, 400, { error: 'input length exceeds the context length' });
  }
  const body = (request.body ?? {}) as Body;
  if (request.path === '/api/tags') {
    return sendJson(response, 200, {
      models: [{ name: 'llama3.1:latest', model: 'llama3.1:latest', size: 4920753328 }],
    });
  }
  if (request.path === '/api/embed') {
    const inputs: string[] = Array.isArray(body['input']) ? body['input'] : [body['input']];
    const dimensions = findModel(builtInCatalogue, body['model'])?.embeddingDimensions ?? 768;
    return sendJson(response, 200, {
      model: body['model'],
      embeddings: inputs.map((input) => hashingEmbedding(input, dimensions)),
      total_duration: 14143917,
      load_duration: 1019500,
      prompt_eval_count: inputs.reduce((sum, input) => sum + Math.ceil(input.length / 4), 0),
    });
  }
  if (request.path === '/api/chat') {
    const parts = chatParts(body);
    if (body['stream'] === false) return sendJson(response, 200, merge(parts));
    const lines = parts.map((part) => `${JSON.stringify(part)}\n`);
    response.writeHead(200, { 'content-type': 'application/x-ndjson' });
    if (request.fault === 'stream-cut') {
      cutStream(response, lines, 2);
      return;
    }
    for (const line of lines) response.write(line);
    response.end();
    return;
  }
  sendJson(response, 404, { error: `unknown path ${request.path}` });
}

function chatParts(body: Body): Body[] {
  const created = '2025-07-07T20:22:19.184789Z';
  const part = (message: Body) => ({
    model: body['model'],
    created_at: created,
    message: { role: 'assistant', ...message },
    done: false,
  });
  const done = {
    model: body['model'],
    created_at: created,
    message: { role: 'assistant', content: '' },
    done_reason: 'stop',
    done: true,
    total_duration: 4883583458,
    load_duration: 1334875,
    prompt_eval_count: 26,
    prompt_eval_duration: 342546000,
    eval_count: 282,
    eval_duration: 4535599000,
  };
  const tool = (body['tools'] as Body[] | undefined)?.[0];
  if (tool) {
    const call = {
      function: {
        name: tool['function']['name'],
        arguments: sampleFromSchema(tool['function']['parameters']),
      },
    };
    return [part({ content: '', tool_calls: [call] }), done];
  }
  const text =
    typeof body['format'] === 'object'
      ? JSON.stringify(sampleFromSchema(body['format']))
      : body['format'] === 'json'
        ? '{"reply":"fake"}'
        : replyText;
  return [...(text.match(/\S+\s*/g) ?? []).map((word) => part({ content: word })), done];
}

/** A non-streamed reply is the streamed parts folded into the final one. */
function merge(parts: Body[]): Body {
  const last = parts.at(-1)!;
  const content = parts.map((part) => part['message']['content'] as string).join('');
  const toolCalls = parts.flatMap((part) => part['message']['tool_calls'] ?? []);
  return {
    ...last,
    message: { role: 'assistant', content, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) },
  };
}
