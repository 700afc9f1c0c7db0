import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSource } from '../../src/shared/knowledge/loaders/read-source.js';
import type { Resolver } from '../../src/shared/net/address-guard.js';

const cap = 1024 * 1024;
let server: Server;
let port: number;
let requestsServed = 0;
beforeAll(async () => {
  server = createServer((request, response) => {
    requestsServed++;
    const path = request.url ?? '/';
    if (path === '/to-data') {
      response.writeHead(302, { location: 'data:text/plain,secret' });
      response.end();
    } else if (path === '/declared-large') {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(cap + 65_536) });
      response.end(Buffer.alloc(cap + 65_536, 'a'));
    } else if (path === '/chunked-large') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(Buffer.alloc(cap + 65_536, 'a'));
    } else if (path === '/drip') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => response.write('.'), 50);
      response.on('close', () => clearInterval(timer));
    } else {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('hello from loopback');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => vi.restoreAllMocks());

/** Names resolved by the test alone: no DNS, and no connection to anything but loopback. */
function resolverOf(answers: Record<string, string[][]>): Resolver {
  const calls = new Map<string, number>();
  return async (host) => {
    const seen = calls.get(host) ?? 0;
    calls.set(host, seen + 1);
    const list = answers[host];
    if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    const addresses = list[Math.min(seen, list.length - 1)]!;
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

describe('the URL guard of ingestion', () => {
  it('connects to the address it checked: a name rebinding to loopback after the check is refused', async () => {
    // The second answer is what a plain fetch would connect to: the loopback server below, which must see nothing.
    const before = requestsServed;
    const resolve = resolverOf({ 'rebind.test': [['93.184.216.34'], ['127.0.0.1']] });
    await expect(readSource(`http://rebind.test:${port}/`, { roots: [], resolve })).rejects.toThrow(
      /refused: rebind\.test is a private or loopback address \(127\.0\.0\.1\)/,
    );
    expect(requestsServed).toBe(before);
  });

  it('refuses a name that does not resolve rather than letting it through', async () => {
    const resolve = resolverOf({});
    await expect(readSource('http://nowhere.test/', { roots: [], resolve })).rejects.toThrow(
      /refused: cannot resolve nowhere\.test/,
    );
  });

  it('refuses every non-global range, never opening a connection', async () => {
    const connect = vi.spyOn(Socket.prototype, 'connect');
    const blocked = [
      '192.0.2.10',
      '198.18.0.1',
      '198.19.255.1',
      '224.0.0.1',
      '239.1.2.3',
      '240.0.0.1',
      '255.255.255.255',
      '64:ff9b::7f00:1',
      '2002:7f00:1::1',
      'fec0::1',
      '::ffff:10.0.0.1',
    ];
    for (const address of blocked) {
      const resolve = resolverOf({ 'blocked.test': [[address]] });
      await expect(readSource('http://blocked.test/', { roots: [], resolve })).rejects.toThrow(
        /refused: blocked\.test is a private or loopback address/,
      );
    }
    expect(connect).not.toHaveBeenCalled();
  });

  it('follows redirects only to http(s): a redirect to a data: URL is refused', async () => {
    await expect(
      readSource(`http://127.0.0.1:${port}/to-data`, { roots: [], allowPrivateUrls: true }),
    ).rejects.toThrow(/refused: expected an http or https URL, got data:/);
  });

  it('refuses a body over the cap by its declared length, and stops reading one that streams past it', async () => {
    const options = { roots: [], allowPrivateUrls: true, maxBytes: cap };
    await expect(readSource(`http://127.0.0.1:${port}/declared-large`, options)).rejects.toThrow(
      `larger than the limit of ${cap} bytes: its Content-Length is ${cap + 65_536} bytes`,
    );
    await expect(readSource(`http://127.0.0.1:${port}/chunked-large`, options)).rejects.toThrow(
      `larger than the limit of ${cap} bytes: more than ${cap} bytes arrived`,
    );
    const small = await readSource(`http://127.0.0.1:${port}/`, options);
    expect(small.text).toContain('hello from loopback');
  });

  it('reports a server that drips its body too slowly as a timeout', async () => {
    await expect(
      readSource(`http://127.0.0.1:${port}/drip`, { roots: [], allowPrivateUrls: true, fetchTimeoutMs: 300 }),
    ).rejects.toThrow(/no complete answer within 300 ms/);
  });

  it('refuses a file over the cap by its size, before reading it', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'atlas-cap-'));
    const path = join(folder, 'big.txt');
    writeFileSync(path, Buffer.alloc(cap + 1, 'a'));
    await expect(readSource(path, { roots: [folder], maxBytes: cap })).rejects.toThrow(
      `larger than the limit of ${cap} bytes: the file has ${cap + 1}`,
    );
  });
});
