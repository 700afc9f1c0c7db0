import { describe, expect, it } from 'vitest';
import { startRedisServer } from '../../src/cli/local-redis.js';
import { AtlasClient } from '../../src/producer/atlas-client.js';
import { startServer } from '../../src/server/start-server.js';
import { loadSettings } from '../../src/shared/config/settings.js';
import { within } from '../../src/shared/within.js';

describe('closing while Redis is gone', () => {
  it('a server with a chat completion streaming, and a client following a stream, both close promptly', async () => {
    const redis = await startRedisServer();
    const settings = loadSettings({
      env: {},
      configPath: undefined,
      overrides: {
        redis: { url: redis.url, prefix: 'gone' },
        providers: { mock: { type: 'mock' } },
        server: { host: '127.0.0.1', port: 0 },
        log: { level: 'silent' },
      },
    });
    const server = await startServer({ settings });
    const client = new AtlasClient({ settings });
    // No worker runs: the completion and the stream both wait on their events.
    const streaming = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(streaming.status).toBe(200);
    const reading = streaming.text().catch(() => '');
    const id = await client.submit({ prompt: 'hello', providers: ['mock'] });
    const following = (async () => {
      for await (const _event of client.stream({ requestId: id })) {
        // Nothing arrives: no worker serves the request.
      }
    })().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await redis.stop();

    // Before, both waited for ever on the event reader's XREAD, retried against a Redis that was gone.
    expect(await within(server.close(), 10_000)).toBe(true);
    expect(await within(client.close(), 10_000)).toBe(true);
    await within(Promise.all([reading, following]), 1_000);
  }, 30_000);
});
