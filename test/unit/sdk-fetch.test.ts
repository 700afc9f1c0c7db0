import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkFetch } from '../../src/shared/providers/sdk-fetch.js';

describe('sdkFetch, the fetch the provider SDKs are given', () => {
  let server: http.Server;
  let url: string;

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk;
      });
      request.on('end', () => {
        if (request.url === '/json') {
          response.writeHead(201, { 'content-type': 'application/json', 'x-request-id': 'req_1' });
          response.end(JSON.stringify({ method: request.method, body, auth: request.headers.authorization }));
        } else if (request.url === '/events') {
          response.writeHead(200, { 'content-type': 'text/event-stream' });
          response.write('data: one\n\n');
          setTimeout(() => response.end('data: two\n\n'), 20);
        } else if (request.url === '/empty') {
          response.writeHead(204).end();
        } else if (request.url === '/moved') {
          response.writeHead(307, { location: '/json' }).end();
        } else if (request.url === '/odd-status') {
          // Node's HTTP parser takes any three digits; no Response can hold 600.
          request.socket.end('HTTP/1.1 600 Odd\r\ncontent-length: 0\r\n\r\n');
        } else if (request.url === '/slow-events') {
          response.writeHead(200, { 'content-type': 'text/event-stream' });
          response.write('data: one\n\n');
        } else if (request.url === '/odd-status-text') {
          request.socket.end(
            'HTTP/1.1 200 O\x7fK\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}',
          );
        } else if (request.url === '/firehose') {
          response.writeHead(200, { 'content-type': 'text/event-stream' });
          const timer = setInterval(() => {
            for (let i = 0; i < 20; i++) response.write(`data: ${'x'.repeat(1_000)}\n\n`);
          }, 1);
          response.on('close', () => clearInterval(timer));
        }
        // `/hang` never answers.
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the method, headers and body, and answers as fetch would', async () => {
    const response = await sdkFetch(`${url}/json`, {
      method: 'POST',
      headers: new Headers({ authorization: 'Bearer k', 'content-type': 'application/json' }),
      body: '{"a":1}',
    });
    expect(response.status).toBe(201);
    expect(response.ok).toBe(true);
    expect(response.headers.get('x-request-id')).toBe('req_1');
    expect(await response.json()).toEqual({ method: 'POST', body: '{"a":1}', auth: 'Bearer k' });
  });

  it('streams a reply that is not JSON as it arrives', async () => {
    const response = await sdkFetch(new URL(`${url}/events`));
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('data: one\n\n');
    let rest = '';
    for (let part = await reader.read(); !part.done; part = await reader.read())
      rest += new TextDecoder().decode(part.value);
    expect(rest).toBe('data: two\n\n');
  });

  it('gives a reply with no content a null body, and frees its connection and signal', async () => {
    const controller = new AbortController();
    let listeners = 0;
    const add = controller.signal.addEventListener.bind(controller.signal);
    const remove = controller.signal.removeEventListener.bind(controller.signal);
    controller.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners++;
      add(...args);
    }) as typeof add;
    controller.signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      listeners--;
      remove(...args);
    }) as typeof remove;
    const sockets = new Set<unknown>();
    const count = (socket: unknown) => sockets.add(socket);
    server.on('connection', count);
    for (let i = 0; i < 3; i++) {
      const response = await sdkFetch(`${url}/empty`, { signal: controller.signal });
      expect(response.status).toBe(204);
      expect(response.body).toBeNull();
    }
    server.off('connection', count);
    expect(listeners).toBe(0);
    expect(sockets.size).toBeLessThanOrEqual(1);
  });

  it('follows a redirect as fetch does', async () => {
    const response = await sdkFetch(`${url}/moved`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"b":2}',
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ method: 'POST', body: '{"b":2}' });
  });

  it('answers a status outside 200–599 as fetch does, instead of throwing out of the process', async () => {
    const response = await sdkFetch(`${url}/odd-status`);
    expect(response.status).toBe(600);
    expect(response.ok).toBe(false);
  });

  it('fails the call, not the process, on a status text no Response can hold', async () => {
    await expect(sdkFetch(`${url}/odd-status-text`)).rejects.toThrow(/fetch failed/);
  });

  it('ends a streamed body with the signal reason when aborted mid-stream', async () => {
    const controller = new AbortController();
    const response = await sdkFetch(`${url}/slow-events`, { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    const reason = new DOMException('stopped', 'AbortError');
    controller.abort(reason);
    await expect(reader.read()).rejects.toBe(reason);
  });

  it('drops what arrives after a reader cancelled or a signal aborted, instead of throwing out of the process', async () => {
    // Node 20's own web-stream adapter threw ERR_INVALID_STATE from an event handler in this very case.
    for (let i = 0; i < 40; i++) {
      const controller = new AbortController();
      const response = await sdkFetch(`${url}/firehose`, { signal: controller.signal });
      const reader = response.body!.getReader();
      await reader.read();
      if (i % 2 === 0) {
        controller.abort(new Error('stopped'));
        await expect(reader.read()).rejects.toThrow('stopped');
      } else {
        await reader.cancel();
        controller.abort(new Error('late'));
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const open = () =>
      new Promise<number>((resolve, reject) =>
        server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      );
    // Every firehose connection was closed, not left streaming into a dropped body.
    await expect.poll(open).toBeLessThanOrEqual(1);
  });

  it('rejects with the signal reason on abort, and with "fetch failed" when nothing listens', async () => {
    const controller = new AbortController();
    const pending = sdkFetch(`${url}/hang`, { signal: controller.signal });
    const reason = new Error('deadline');
    setTimeout(() => controller.abort(reason), 20);
    await expect(pending).rejects.toBe(reason);
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(sdkFetch(`http://127.0.0.1:${port}/`)).rejects.toThrow(/fetch failed/);
  });
});
