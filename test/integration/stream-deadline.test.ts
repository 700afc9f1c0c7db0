import { afterAll, describe, expect, it } from 'vitest';
import { AtlasClient } from '../../src/producer/atlas-client.js';
import { loadSettings } from '../../src/shared/config/settings.js';
import { connect, deletePrefix, freshPrefix, redisTarget } from '../support/redis.js';

const prefix = freshPrefix('stream-deadline');
afterAll(async () => {
  const redis = connect();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

describe('a stream nobody serves', () => {
  it('ends at its deadline with a timeout, as wait does', async () => {
    const settings = loadSettings({
      env: {},
      configPath: undefined,
      overrides: { redis: { ...redisTarget(), prefix }, providers: { mock: { type: 'mock' } } },
    });
    const client = new AtlasClient({ settings });
    try {
      const types: string[] = [];
      let last: unknown;
      for await (const event of client.stream({ prompt: 'x', providers: ['mock'], deadlineMs: 500 })) {
        types.push(event.type);
        last = event;
      }
      expect(types).toEqual(['queued', 'failed']);
      expect(last).toMatchObject({ type: 'failed', data: { error: { kind: 'timeout' } } });
    } finally {
      await client.close();
    }
  }, 15_000);
});
