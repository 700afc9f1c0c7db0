import { lookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { ValidationError } from '../errors.js';

/**
 * The one guard between Atlas and addresses it must not reach on a user's behalf (URL ingestion, the
 * HTTP fetch tool): only http(s), and only hosts whose every resolved address is globally routable,
 * unless private addresses are allowed by setting. A host that does not resolve is refused too: "could
 * not check" is never "allowed".
 */

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Every address a host name resolves to. Injectable, so tests never touch DNS. */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

export interface AddressGuardOptions {
  /** Reach private, loopback, link-local and other non-global addresses. @default false */
  allowPrivate?: boolean;
  /** @default the system resolver */
  resolve?: Resolver;
  /** The name the refusal's ValidationError carries. @default the URL itself */
  field?: string;
}

/** Everything that is not globally routable: private, loopback, link-local, shared, reserved, documentation, multicast. */
const nonGlobal = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  nonGlobal.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  nonGlobal.addSubnet(network, prefix, 'ipv6');
}

/** The IPv4 address an IPv6 address carries (v4-mapped, NAT64 or 6to4), when it carries one. */
function embeddedIpv4(address: string): string | undefined {
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (dotted) return dotted;
  const groups = expandIpv6(address);
  if (!groups) return undefined;
  const toV4 = (high: number, low: number) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  const isZero = (from: number, to: number) => groups.slice(from, to).every((group) => group === 0);
  if (isZero(0, 5) && groups[5] === 0xffff) return toV4(groups[6]!, groups[7]!);
  if (groups[0] === 0x64 && groups[1] === 0xff9b && isZero(2, 6)) return toV4(groups[6]!, groups[7]!);
  if (groups[0] === 0x2002) return toV4(groups[1]!, groups[2]!);
  return undefined;
}

function expandIpv6(address: string): number[] | undefined {
  let text = address.toLowerCase().split('%')[0]!;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part ? part.split(':').map((group) => Number.parseInt(group, 16)) : []);
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined;
  const groups = [...left, ...Array.from({ length: missing }, () => 0), ...right];
  return groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff)
    ? groups
    : undefined;
}

/** True for an IP address that is globally routable; false for anything else, including a non-address. */
export function isGlobalAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').split('%')[0]!;
  const family = isIP(bare);
  if (family === 0) return false;
  if (family === 4) return !nonGlobal.check(bare, 'ipv4');
  const v4 = embeddedIpv4(bare);
  if (v4 !== undefined) return !nonGlobal.check(v4, 'ipv4');
  return !nonGlobal.check(bare, 'ipv6');
}

/** True for an IP address that is private, loopback, link-local or otherwise not globally routable. */
export function isPrivateAddress(address: string): boolean {
  return isIP(address.replace(/^\[|\]$/g, '').split('%')[0]!) !== 0 && !isGlobalAddress(address);
}

/**
 * Resolves a host and returns its addresses when every one of them may be reached; otherwise throws a
 * ValidationError naming the host and the refused address. An IP literal is checked as it is.
 */
export async function resolveAllowedHost(host: string, options: AddressGuardOptions = {}): Promise<string[]> {
  const field = options.field ?? host;
  const bare = host.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (isIP(bare) !== 0) {
    addresses = [bare];
  } else {
    const resolve = options.resolve ?? systemResolver;
    try {
      addresses = (await resolve(bare)).map((entry) => entry.address);
    } catch (error) {
      throw new ValidationError(
        field,
        `refused: cannot resolve ${bare} (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    if (addresses.length === 0) throw new ValidationError(field, `refused: ${bare} resolves to no address`);
  }
  if (options.allowPrivate) return addresses;
  const blocked = addresses.find((address) => !isGlobalAddress(address));
  if (blocked !== undefined) {
    throw new ValidationError(
      field,
      `refused: ${bare} is a private or loopback address (${blocked}); allow private URLs to fetch it`,
    );
  }
  return addresses;
}

/**
 * Checks a URL before it is fetched: http or https only, and its host allowed (see resolveAllowedHost);
 * `addresses` are the ones checked (none when private addresses are allowed).
 * Check every redirect hop again. To rule out a host that resolves differently at connect time (DNS
 * rebinding), connect through `guardedLookup` too.
 */
export async function checkUrl(
  url: string | URL,
  options: AddressGuardOptions = {},
): Promise<{ url: URL; addresses: string[] }> {
  const field = options.field ?? String(url);
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    throw new ValidationError(field, 'expected an absolute http or https URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ValidationError(field, `refused: expected an http or https URL, got ${parsed.protocol}`);
  }
  // With private addresses allowed there is nothing to refuse: leave resolution to the connection.
  if (options.allowPrivate) return { url: parsed, addresses: [] };
  return { url: parsed, addresses: await resolveAllowedHost(parsed.hostname, { ...options, field }) };
}

/**
 * A `lookup` for node:http(s) and node:net that applies the guard to the addresses the connection will
 * actually use, so a host cannot pass the check with one address and connect to another.
 */
export function guardedLookup(options: AddressGuardOptions = {}): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    resolveAllowedHost(hostname, options).then(
      (addresses) => {
        const entries = addresses.map((address) => ({ address, family: isIP(address) }));
        if (lookupOptions.all) {
          (callback as (error: null, addresses: ResolvedAddress[]) => void)(null, entries);
        } else {
          const wanted = lookupOptions.family;
          const first =
            entries.find((entry) => !wanted || wanted === entry.family || wanted === `IPv${entry.family}`) ??
            entries[0]!;
          callback(null, first.address, first.family);
        }
      },
      (error: unknown) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };
}
