import { describe, expect, it } from 'vitest';
import { httpFetchTool } from '../../src/shared/agents/built-in-tools.js';
import { runToolCall } from '../../src/shared/agents/tools.js';
import { ValidationError } from '../../src/shared/errors.js';
import {
  checkUrl,
  guardedLookup,
  isGlobalAddress,
  type Resolver,
} from '../../src/shared/net/address-guard.js';

const resolving =
  (table: Record<string, string[]>): Resolver =>
  async (host) => {
    const addresses = table[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

const context = { idempotencyKey: 'run:0:0', signal: new AbortController().signal };

describe('the address guard', () => {
  it('tells global addresses from private, loopback, link-local and reserved ones', () => {
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(isGlobalAddress(address), address).toBe(true);
    }
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '64:ff9b::a9fe:a9fe',
      '2002:7f00:1::',
      'not-an-address',
    ]) {
      expect(isGlobalAddress(address), address).toBe(false);
    }
  });

  it('refuses loopback, whether literal or resolved', async () => {
    const resolve = resolving({ localhost: ['127.0.0.1', '::1'] });
    await expect(checkUrl('http://127.0.0.1:6379/', { resolve })).rejects.toThrow(/refused: 127\.0\.0\.1/);
    await expect(checkUrl('http://[::1]/', { resolve })).rejects.toThrow(ValidationError);
    await expect(checkUrl('http://localhost/admin', { resolve })).rejects.toThrow(/localhost is a private/);
  });

  it('refuses a host when any of its addresses is not global', async () => {
    const resolve = resolving({ 'mixed.example': ['93.184.216.34', '10.0.0.5'] });
    await expect(checkUrl('https://mixed.example/', { resolve })).rejects.toThrow(/10\.0\.0\.5/);
  });

  it('refuses a rebinding host at connect time even when it passed the check', async () => {
    let calls = 0;
    const rebinding: Resolver = async () => [
      { address: calls++ === 0 ? '93.184.216.34' : '127.0.0.1', family: 4 },
    ];
    await expect(checkUrl('http://rebind.example/', { resolve: rebinding })).resolves.toMatchObject({
      addresses: ['93.184.216.34'],
    });
    const lookup = guardedLookup({ resolve: rebinding });
    const error = await new Promise<unknown>((resolve) =>
      lookup('rebind.example', { all: true }, (failure) => resolve(failure)),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(String(error)).toMatch(/127\.0\.0\.1/);
  });

  it('refuses when the host does not resolve, and schemes other than http(s)', async () => {
    const resolve = resolving({});
    await expect(checkUrl('http://nowhere.invalid/', { resolve })).rejects.toThrow(
      /cannot resolve nowhere\.invalid/,
    );
    await expect(checkUrl('http://empty.example/', { resolve: async () => [] })).rejects.toThrow(
      /no address/,
    );
    await expect(checkUrl('file:///etc/passwd', { resolve })).rejects.toThrow(
      /expected an http or https URL/,
    );
    await expect(checkUrl('gopher://example.com/', { resolve })).rejects.toThrow(/got gopher:/);
  });

  it('allows a public address, and private ones only when allowed', async () => {
    const resolve = resolving({ 'example.com': ['93.184.216.34'], internal: ['10.0.0.7'] });
    await expect(checkUrl('https://example.com/page', { resolve })).resolves.toMatchObject({
      addresses: ['93.184.216.34'],
    });
    await expect(checkUrl('http://internal/', { resolve, allowPrivate: true })).resolves.toMatchObject({
      url: new URL('http://internal/'),
    });
    await expect(checkUrl('file:///etc/passwd', { allowPrivate: true })).rejects.toThrow(/expected an http/);
    const internal = await new Promise<unknown>((done) =>
      guardedLookup({ resolve, allowPrivate: true })('internal', { all: true }, (_error, addresses) =>
        done(addresses),
      ),
    );
    expect(internal).toEqual([{ address: '10.0.0.7', family: 4 }]);
    const addresses = await new Promise<unknown>((done) =>
      guardedLookup({ resolve })('example.com', {}, (_error, address, family) => done([address, family])),
    );
    expect(addresses).toEqual(['93.184.216.34', 4]);
  });

  it('the fetch tool refuses loopback before connecting, as a tool error for the model', async () => {
    const tool = httpFetchTool({ resolve: resolving({ localhost: ['127.0.0.1'] }) });
    const literal = await runToolCall(tool, { url: 'http://127.0.0.1:1/' }, context);
    expect(literal).toMatchObject({ ok: false });
    expect(literal.ok || literal.error).toMatch(/^http_fetch: url: refused: 127\.0\.0\.1/);
    const named = await runToolCall(tool, { url: 'http://localhost:1/' }, context);
    expect(named.ok || named.error).toMatch(/localhost is a private/);
    const scheme = await runToolCall(tool, { url: 'ftp://example.com/' }, context);
    expect(scheme.ok || scheme.error).toMatch(/^http_fetch: url: /);
  });
});
