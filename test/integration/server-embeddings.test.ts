import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Settings } from '../../src/shared/config/settings.js';
import { testSettings } from '../support/generation-harness.js';
import { connect, deletePrefix } from '../support/redis.js';
import { type ServedCli, serveInProcess } from '../support/serve-in-process.js';

// The official `openai` client's embeddings against `atlas serve`: computed in the server process, not
// queued, through each instance's fleet breaker.

const token = 'test-token-for-embeddings-0123456789';
const redis = connect();
let settings: Settings;
let served: ServedCli;
let openai: OpenAI;

beforeAll(async () => {
  settings = testSettings(
    {
      providers: {
        mock: { type: 'mock' },
        down: { type: 'mock', failureRate: 1, breaker: { volumeThreshold: 2, resetTimeoutMs: 60_000 } },
      },
    },
    'serve-embed',
  );
  served = await serveInProcess(settings, {}, { ATLAS_SERVER_TOKENS: token });
  openai = new OpenAI({ baseURL: `${served.url}/v1`, apiKey: token, maxRetries: 0 });
});

afterAll(async () => {
  await served?.stop();
  await deletePrefix(redis, settings.redis.prefix);
  redis.disconnect();
});

const norm = (vector: number[]) => Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));

describe('the openai client: embeddings from atlas serve', () => {
  it("embeds with an instance's hashing embedder, in its dimensions, with usage", async () => {
    const response = await openai.embeddings.create({
      model: 'mock',
      input: ['Redis streams as a queue', 'Postgres SKIP LOCKED as a queue'],
    });
    expect(response.object).toBe('list');
    expect(response.model).toBe('mock/mock-embed');
    expect(response.data.map((entry) => entry.index)).toEqual([0, 1]);
    for (const entry of response.data) {
      expect(entry.embedding).toHaveLength(1024);
      expect(norm(entry.embedding)).toBeCloseTo(1, 3);
    }
    expect(response.usage.prompt_tokens).toBeGreaterThan(0);
    expect(response.usage.total_tokens).toBe(response.usage.prompt_tokens);

    // The same text embeds the same, as float or as base64 (the client's default, decoded by it).
    const floats = await openai.embeddings.create({
      model: 'mock/mock-embed',
      input: 'Redis streams as a queue',
      encoding_format: 'float',
    });
    expect(floats.data[0]!.embedding.map((value) => Math.fround(value))).toEqual(response.data[0]!.embedding);

    const wrongSize = await openai.embeddings
      .create({ model: 'mock', input: 'one text', dimensions: 64 })
      .catch((error) => error);
    expect(wrongSize).toBeInstanceOf(OpenAI.BadRequestError);
    expect(wrongSize).toMatchObject({ param: 'dimensions' });
  });

  it('names an unknown model, and a wrong field', async () => {
    const unknown = await openai.embeddings
      .create({ model: 'no-such-model', input: 'x' })
      .catch((error) => error);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect(unknown).toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
    expect((unknown as Error).message).toMatch(/no embedding model 'no-such-model'/);

    const chat = await openai.embeddings
      .create({ model: 'mock/mock-standard', input: 'x' })
      .catch((error) => error);
    expect(chat).toBeInstanceOf(OpenAI.BadRequestError);
    expect(chat).toMatchObject({ param: 'model' });

    const empty = await openai.embeddings.create({ model: 'mock', input: [] }).catch((error) => error);
    expect(empty).toBeInstanceOf(OpenAI.BadRequestError);
    expect(empty).toMatchObject({ param: 'body.input' });

    const anonymous = new OpenAI({ baseURL: `${served.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await expect(anonymous.embeddings.create({ model: 'mock', input: 'x' })).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
  });

  it("goes through the instance's fleet breaker: failures open it for the whole fleet, and another instance of the type answers", async () => {
    for (let call = 0; call < 3; call += 1) {
      const response = await openai.embeddings.create({ model: 'down', input: `text ${call}` });
      expect(response.data[0]!.embedding).toHaveLength(1024);
    }
    const data = (await (
      await fetch(`${served.url}/dashboard/data`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { instances: Array<{ instance: string; breaker: string }> };
    expect(data.instances.find((entry) => entry.instance === 'down')!.breaker).toBe('open');
    expect(data.instances.find((entry) => entry.instance === 'mock')!.breaker).toBe('closed');
  });
});
