import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AtlasServer, startServer } from '../../src/server.js';
import { createHarness, type Harness, mockInstances } from '../support/generation-harness.js';

const token = 'test-token-security-0123456789abcdef';
let harness: Harness;
/** No tokens: loopback only. */
let open: AtlasServer;
/** With a token. */
let guarded: AtlasServer;
let folder: string;
let inside: string;
let outside: string;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'atlas-security-'));
  inside = join(folder, 'inside');
  outside = join(folder, 'outside');
  mkdirSync(join(inside, 'notes'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(inside, 'notes', 'kept.txt'), 'A note inside the allowed folder.');
  writeFileSync(join(outside, 'secret-name.txt'), 'A file outside the allowed folder.');
  symlinkSync(outside, join(inside, 'escape'));
  harness = await createHarness({ providers: mockInstances('m1') }, 'serve-sec');
  const server = { host: '127.0.0.1', port: 0, bodyLimitBytes: 64 * 1024, ingestRoots: [inside] };
  open = await startServer({ settings: { ...harness.settings, server: { ...server, tokens: [] } } });
  guarded = await startServer({ settings: { ...harness.settings, server: { ...server, tokens: [token] } } });
});

afterAll(async () => {
  await open?.close();
  await guarded?.close();
  await harness?.close();
  rmSync(folder, { recursive: true, force: true });
});

interface Answer {
  status: number;
  text: string;
  json: () => { error: { message: string; type: string; code: string; param: string | null } };
}

/** A raw HTTP request: fetch would not let a test set `Host`. */
function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const call = httpRequest(new URL(path, base), { method, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode!, text, json: () => JSON.parse(text) }));
    });
    call.on('error', reject);
    call.end(body);
  });
}

const json = { 'content-type': 'application/json' };
const postBatch = (body: unknown) =>
  send(open.url, 'POST', '/v1/knowledge/batches', json, JSON.stringify(body));

describe('POST /v1/knowledge/batches: file sources stay inside the server’s folders', () => {
  it('refuses a body that sets roots, naming the field', async () => {
    const answer = await postBatch({
      sources: [join(outside, 'secret-name.txt')],
      collection: 'leak',
      roots: [folder],
    });
    expect(answer.status).toBe(400);
    expect(answer.json().error.message).toContain('roots');
  });

  it('refuses a file, folder or glob outside the roots before listing it', async () => {
    const sources = [
      join(outside, 'secret-name.txt'),
      `${outside}/`,
      `${outside}/*.txt`,
      `${folder}/**/*.txt`,
      `${inside}/*/../../outside/*.txt`,
      `${inside}/{notes,../outside}/*.txt`,
      `${inside}/escape/`,
      `${inside}/escape/*.txt`,
      '/usr/share/doc/',
    ];
    for (const source of sources) {
      const answer = await postBatch({ sources: [source], collection: 'leak' });
      expect(answer.status, source).toBe(400);
      const { error } = answer.json();
      expect(error.message, source).toContain(source);
      expect(error.message, source).toContain('outside the allowed folders');
      expect(error.param).toBe('sources[0]');
      // Nothing listed: no name the caller did not write.
      if (!source.includes('secret-name')) expect(answer.text).not.toContain('secret-name');
    }
  });

  it('accepts a source inside the roots', async () => {
    for (const source of [`${inside}/notes/`, `${inside}/**/*.txt`, join(inside, 'notes', 'kept.txt')]) {
      const answer = await postBatch({ sources: [source], collection: 'kept' });
      expect(answer.status, source).toBe(202);
      expect(JSON.parse(answer.text)).toMatchObject({ total: 1 });
    }
  });
});

describe('cross-site requests', () => {
  it('takes a form on the login route only', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const requests = await send(open.url, 'POST', '/v1/requests', form, 'prompt=hi');
    expect(requests.status).toBe(415);
    expect(requests.json().error.code).toBe('unsupported_media_type');
    const ask = await send(open.url, 'POST', '/v1/knowledge/ask', form, 'question=x&collection=mine');
    expect(ask.status).toBe(415);
    const login = await send(open.url, 'POST', '/login', form, 'token=x&next=/');
    expect(login.status).toBe(303);
  });

  it('refuses a state-changing request from another origin, and lets its own origin and SDKs through', async () => {
    const body = JSON.stringify({ prompt: 'hi', providers: ['m1'] });
    for (const server of [open, guarded]) {
      const auth: Record<string, string> = server === guarded ? { authorization: `Bearer ${token}` } : {};
      for (const origin of [
        'https://evil.example.com',
        'null',
        server.url.replace('127.0.0.1', 'localhost'),
      ]) {
        const answer = await send(server.url, 'POST', '/v1/requests', { ...json, ...auth, origin }, body);
        expect(answer.status, origin).toBe(403);
        expect(answer.json().error).toMatchObject({ type: 'http_error', code: 'cross_origin' });
        expect(answer.json().error.message).toContain(origin);
      }
      const same = await send(
        server.url,
        'POST',
        '/v1/requests',
        { ...json, ...auth, origin: server.url },
        body,
      );
      expect(same.status).toBe(202);
      const sdk = await send(server.url, 'POST', '/v1/requests', { ...json, ...auth }, body);
      expect(sdk.status).toBe(202);
      // Reading is not state-changing: a GET with another Origin is answered (CORS keeps its body from the page).
      const read = await send(server.url, 'GET', '/v1/models', {
        ...auth,
        origin: 'https://evil.example.com',
      });
      expect(read.status).toBe(200);
    }
    // Behind a reverse proxy that says which host and scheme the browser used.
    const proxied = await send(
      guarded.url,
      'POST',
      '/v1/requests',
      {
        ...json,
        authorization: `Bearer ${token}`,
        origin: 'https://atlas.example.com',
        'x-forwarded-host': 'atlas.example.com',
        'x-forwarded-proto': 'https',
      },
      body,
    );
    expect(proxied.status).toBe(202);
  });

  it('without tokens, answers only requests addressed to a loopback name', async () => {
    const port = new URL(open.url).port;
    for (const host of [
      'evil.example.com',
      `evil.example.com:${port}`,
      '10.0.0.1',
      'localhost.evil.example.com',
    ]) {
      const answer = await send(open.url, 'GET', '/v1/models', { host });
      expect(answer.status, host).toBe(403);
      expect(answer.json().error).toMatchObject({ type: 'http_error', code: 'host_not_allowed' });
      expect(answer.json().error.message).toContain('server.tokens');
    }
    for (const host of [
      'localhost',
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      '127.1.2.3',
      `[::1]:${port}`,
    ]) {
      const answer = await send(open.url, 'GET', '/v1/models', { host });
      expect(answer.status, host).toBe(200);
    }
    // With tokens the token is the guard, whatever name the request used.
    const named = await send(guarded.url, 'GET', '/v1/models', {
      host: 'atlas.example.com',
      authorization: `Bearer ${token}`,
    });
    expect(named.status).toBe(200);
  });
});
