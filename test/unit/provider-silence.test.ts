import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInstance } from '../../src/shared/config/provider-settings.js';
import type { AtlasError } from '../../src/shared/errors.js';
import { AnthropicProvider } from '../../src/shared/providers/anthropic/anthropic-provider.js';
import { builtInCatalogue } from '../../src/shared/providers/catalogue.js';
import { OllamaProvider } from '../../src/shared/providers/ollama/ollama-provider.js';
import type { Provider, StreamPart } from '../../src/shared/providers/provider.js';
import { FakeServer } from '../fakes/fake-server.js';

/** A server that starts an answer (headers and a first event) and then goes silent. */
describe('providers against a server that goes silent after the first event', () => {
  let server: FakeServer;
  let firstEvent = '';
  let contentType = '';
  beforeAll(async () => {
    server = await new FakeServer((_request, response: ServerResponse) => {
      response.writeHead(200, { 'content-type': contentType });
      response.write(firstEvent);
    }).start();
  });
  afterAll(() => server.close());

  async function streamUntilFailure(provider: Provider): Promise<{ parts: StreamPart[]; error: AtlasError }> {
    const parts: StreamPart[] = [];
    try {
      for await (const part of provider.stream({ messages: [{ role: 'user', content: 'x' }] }))
        parts.push(part);
    } catch (error) {
      return { parts, error: error as AtlasError };
    }
    throw new Error('expected the stream to fail');
  }

  it('anthropic: times out the stream after its timeout of silence', async () => {
    contentType = 'text/event-stream';
    firstEvent = `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } })}\n\n`;
    const provider = new AnthropicProvider({
      name: 'anthropic-silent',
      settings: parseInstance(
        { type: 'anthropic', baseURL: server.url, timeoutMs: 300 },
        'anthropic-silent',
      ) as never,
      catalogue: builtInCatalogue,
      apiKey: 'sk-ant-test-0000000000',
    });
    const { parts, error } = await streamUntilFailure(provider);
    expect(error.kind).toBe('timeout');
    expect(parts).toEqual([{ type: 'text-delta', text: 'Hel' }]);
  });

  it('ollama: times out the stream after its timeout of silence, not after a fixed total', async () => {
    contentType = 'application/x-ndjson';
    firstEvent = `${JSON.stringify({ model: 'llama3.1', message: { role: 'assistant', content: 'Hel' }, done: false })}\n`;
    const provider = new OllamaProvider({
      name: 'ollama-silent',
      settings: parseInstance({ type: 'ollama', host: server.url, timeoutMs: 300 }, 'ollama-silent') as never,
      catalogue: builtInCatalogue,
    });
    const started = Date.now();
    const { parts, error } = await streamUntilFailure(provider);
    expect(error.kind).toBe('timeout');
    expect(parts).toEqual([{ type: 'text-delta', text: 'Hel' }]);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
