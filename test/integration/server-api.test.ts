import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AtlasServer, startServer } from '../../src/server.js';
import { createHarness, type Harness, mockInstances } from '../support/generation-harness.js';
import { readSse } from '../support/read-sse.js';
import { deletePrefix } from '../support/redis.js';
import { runCliInProcess } from '../support/run-cli.js';
import { cliEnvironment } from '../support/serve-in-process.js';

const token = 'test-token-api-0123456789abcdef';
let harness: Harness;
let server: AtlasServer;

beforeAll(async () => {
  harness = await createHarness(
    {
      providers: {
        ...mockInstances('m1', 'm2'),
        slow: { type: 'mock', latencyMs: 600 },
      },
    },
    'serve-api',
  );
  await harness.startWorkers();
  server = await startServer({
    settings: {
      ...harness.settings,
      server: { host: '127.0.0.1', port: 0, tokens: [token], bodyLimitBytes: 64 * 1024 },
    },
  });
});

afterAll(async () => {
  await server?.close();
  await harness?.close();
});

const authorized = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

async function keysUnderPrefix(prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await harness.redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found.sort();
}

describe('atlas serve: access', () => {
  it('answers 401 without a valid token, and such a request leaves no trace in Redis', async () => {
    // A server of its own on a prefix nothing else writes to (no workers, no sweeper), once settled.
    const prefix = `${harness.settings.redis.prefix}-quiet`;
    const quiet = await startServer({
      settings: {
        ...harness.settings,
        redis: { ...harness.settings.redis, prefix },
        server: { host: '127.0.0.1', port: 0, tokens: [token], bodyLimitBytes: 64 * 1024 },
      },
    });
    let before = await keysUnderPrefix(prefix);
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = await keysUnderPrefix(prefix);
      if (JSON.stringify(now) === JSON.stringify(before)) break;
      before = now;
    }
    const attempts: Array<[string, RequestInit]> = [
      ['/v1/requests', { method: 'POST', body: JSON.stringify({ prompt: 'hi', providers: ['m1'] }) }],
      [
        '/v1/chat/completions',
        {
          method: 'POST',
          body: JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: 'hi' }] }),
        },
      ],
      [
        '/v1/knowledge/batches',
        { method: 'POST', body: JSON.stringify({ sources: ['.'], collection: 'x' }) },
      ],
      ['/metrics', { method: 'GET' }],
      ['/openapi.json', { method: 'GET' }],
      ['/queues/api/queues', { method: 'GET' }],
    ];
    for (const authorization of [undefined, 'Bearer wrong-token', `Bearer ${token}x`, token]) {
      for (const [path, init] of attempts) {
        const response = await fetch(`${quiet.url}${path}`, {
          ...init,
          headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        });
        expect(response.status, `${path} with ${authorization}`).toBe(401);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
      }
    }
    expect(await keysUnderPrefix(prefix)).toEqual(before);
    await quiet.close();
    await deletePrefix(harness.redis, prefix);
  });

  it('sends a browser without a session to the login form, and keeps the token in an HttpOnly SameSite cookie', async () => {
    const page = await fetch(`${server.url}/`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?next=%2F');
    const wrong = await fetch(`${server.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: 'nope', next: '/' }).toString(),
      redirect: 'manual',
    });
    expect(wrong.status).toBe(401);
    const login = await fetch(`${server.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, next: '/' }).toString(),
      redirect: 'manual',
    });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(token);
    const session = cookie.split(';')[0]!;
    const dashboard = await fetch(`${server.url}/`, { headers: { cookie: session, accept: 'text/html' } });
    expect(dashboard.status).toBe(200);
    expect(await dashboard.text()).toContain('Atlas');
    const board = await fetch(`${server.url}/queues`, { headers: { cookie: session, accept: 'text/html' } });
    expect(board.status).toBe(200);
  });

  it('answers 413 to a body over the limit', async () => {
    const response = await fetch(`${server.url}/v1/requests`, {
      method: 'POST',
      headers: authorized,
      body: JSON.stringify({ prompt: 'x'.repeat(100 * 1024), providers: ['m1'] }),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe('http_error');
  });

  it('refuses, in one line, to listen beyond loopback without tokens', async () => {
    const result = await runCliInProcess(['serve', '--host', '0.0.0.0', '--port', '0'], {
      ...cliEnvironment(harness.settings),
      ATLAS_SERVER_TOKENS: '',
    });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without tokens; set ATLAS_SERVER_TOKENS/);
  });
});

describe('atlas serve: requests', () => {
  it('answers errors as JSON naming the field at fault', async () => {
    const response = await fetch(`${server.url}/v1/requests`, {
      method: 'POST',
      headers: authorized,
      body: JSON.stringify({ prompt: 'hi', providers: ['m1'], temperature: 9 }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { type: 'invalid_request', param: 'body.temperature' },
    });
    const badName = await fetch(`${server.url}/v1/knowledge/collections/bad%20name/documents`, {
      headers: authorized,
    });
    expect(badName.status).toBe(400);
    expect(await badName.json()).toMatchObject({ error: { param: 'collection' } });
    for (const path of [
      '/v1/requests/nope',
      '/v1/knowledge/batches/nope',
      '/v1/knowledge/batches/nope/summary',
    ]) {
      const missing = await fetch(`${server.url}${path}`, { headers: authorized });
      expect([path, missing.status]).toEqual([path, 404]);
      expect(await missing.json()).toMatchObject({ error: { code: 'not_found', param: 'id' } });
    }
  });

  it('submits, waits and cancels', async () => {
    const submitted = await fetch(`${server.url}/v1/requests`, {
      method: 'POST',
      headers: authorized,
      body: JSON.stringify({ prompt: 'hello', providers: ['m1'] }),
    });
    expect(submitted.status).toBe(202);
    const { requestId } = (await submitted.json()) as { requestId: string };
    const result = await fetch(`${server.url}/v1/requests/${requestId}/result`, { headers: authorized });
    expect(await result.json()).toMatchObject({ provider: 'm1' });
    const state = await fetch(`${server.url}/v1/requests/${requestId}`, { headers: authorized });
    expect(await state.json()).toMatchObject({ status: 'completed' });
    const cancelled = await fetch(`${server.url}/v1/requests/${requestId}/cancel`, {
      method: 'POST',
      headers: authorized,
    });
    expect(await cancelled.json()).toEqual({ cancelled: false });
  });

  it('resumes a stream with Last-Event-ID: the rest of the events, exactly once', async () => {
    const submitted = await fetch(`${server.url}/v1/requests`, {
      method: 'POST',
      headers: authorized,
      body: JSON.stringify({
        prompt: 'Tell me a long story about queues',
        providers: ['slow'],
        stream: true,
      }),
    });
    const { requestId } = (await submitted.json()) as { requestId: string };
    const url = `${server.url}/v1/requests/${requestId}/events`;
    const abort = new AbortController();
    const firstPart = await readSse(
      await fetch(url, { headers: authorized, signal: abort.signal }),
      (events) => events.filter((event) => event.event === 'text-delta').length >= 2,
      abort,
    );
    const lastId = firstPart.at(-1)!.id!;
    const rest = await readSse(await fetch(url, { headers: { ...authorized, 'last-event-id': lastId } }));
    expect(rest.at(-1)!.event).toBe('completed');
    expect(rest.length).toBeGreaterThan(1);

    const whole = await readSse(await fetch(url, { headers: authorized }));
    const ids = [...firstPart, ...rest].map((event) => event.id);
    expect(ids).toEqual(whole.map((event) => event.id));
    expect(new Set(ids).size).toBe(ids.length);
    const text = [...firstPart, ...rest]
      .filter((event) => event.event === 'text-delta')
      .map((event) => (JSON.parse(event.data) as { data: { text: string } }).data.text)
      .join('');
    const completed = JSON.parse(rest.at(-1)!.data) as { data: { result: { text: string } } };
    expect(text).toBe(completed.data.result.text);

    const badId = await fetch(url, { headers: { ...authorized, 'last-event-id': 'yesterday' } });
    expect(badId.status).toBe(400);
  });

  it('serves an OpenAPI document listing every route', async () => {
    const response = await fetch(`${server.url}/openapi.json`, { headers: authorized });
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(document.openapi).toBe('3.1.0');
    const documented = new Set(
      Object.entries(document.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    const routes = server.registered
      .filter((route) => route.method !== 'HEAD' && !/^\/queues\/.+/.test(route.url))
      .map((route) => `${route.method} ${route.url.replace(/:([A-Za-z]+)/g, '{$1}')}`);
    expect(routes.length).toBeGreaterThan(15);
    for (const route of routes) expect(documented, route).toContain(route);
    expect(document.paths['/v1/chat/completions']!['post']).toHaveProperty('requestBody');
  });
});

describe('atlas serve: /metrics', () => {
  it('shows outcomes, latencies, tokens and breakers after traffic made through the CLI', async () => {
    const env = cliEnvironment(harness.settings);
    for (let i = 0; i < 3; i++) {
      const query = await runCliInProcess(
        ['query', '-q', `question ${i}`, '--providers', 'm1', '--json'],
        env,
      );
      expect(query.code, query.stderr).toBe(0);
    }
    harness.providers.get('m2')!.down = 'unavailable';
    try {
      const failedOver = await runCliInProcess(
        ['query', '-q', 'again', '--providers', 'm2', 'm1', '--json'],
        env,
      );
      expect(failedOver.code, failedOver.stderr).toBe(0);
    } finally {
      harness.providers.get('m2')!.down = undefined;
    }
    // Workers count an attempt just after it ends, off the request's path: read until the last is in.
    const scrape = async () => {
      const response = await fetch(`${server.url}/metrics`, { headers: authorized });
      expect(response.headers.get('content-type')).toMatch(/text\/plain/);
      return response.text();
    };
    const m1Completed = (text: string) =>
      Number(/atlas_requests_total\{instance="m1",status="completed",kind=""\} (\d+)/.exec(text)?.[1] ?? 0);
    await expect.poll(async () => m1Completed(await scrape())).toBeGreaterThanOrEqual(4);
    const text = await scrape();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    expect(
      value(/atlas_attempts_total\{instance="m1",outcome="completed",kind=""\} (\d+)/),
    ).toBeGreaterThanOrEqual(4);
    expect(value(/atlas_attempts_total\{instance="m2",outcome="error",kind="unavailable"\} (\d+)/)).toBe(1);
    expect(
      value(/atlas_requests_total\{instance="m1",status="completed",kind=""\} (\d+)/),
    ).toBeGreaterThanOrEqual(4);
    expect(value(/atlas_attempt_duration_seconds_count\{instance="m1"\} (\d+)/)).toBeGreaterThanOrEqual(4);
    expect(
      value(/atlas_attempt_duration_seconds_bucket\{instance="m1",le="\+Inf"\} (\d+)/),
    ).toBeGreaterThanOrEqual(4);
    expect(value(/atlas_tokens_total\{instance="m1",direction="output"\} (\d+)/)).toBeGreaterThan(0);
    expect(text).toMatch(/atlas_cost_usd_total\{instance="m1"\}/);
    expect(value(/atlas_breaker_state\{instance="m1",state="closed"\} (\d+)/)).toBe(1);
    expect(value(/atlas_workers_live\{instance="m1"\} (\d+)/)).toBeGreaterThan(0);
    expect(text).toMatch(/atlas_queue_jobs\{instance="m1",state="completed"\} \d+/);
  });
});
