import { lookup } from 'node:dns/promises';
import { readFile, realpath } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import { relative, resolve, sep } from 'node:path';
import { ValidationError } from '../../errors.js';
import { type DocumentType, type LoadedDocument, typeOf } from './loaded-document.js';
import { parseDocument } from './parse-document.js';

export interface ReadSourceOptions {
  /** Folders that paths must stay inside (after following symlinks). */
  roots: readonly string[];
  /** Fetch URLs that resolve to private, loopback or link-local addresses. @default false */
  allowPrivateUrls?: boolean;
  /** Largest document read, in bytes. @default 50 MiB */
  maxBytes?: number;
  /** @default 30000 */
  fetchTimeoutMs?: number;
}

/** Reads one source (a path inside the roots, or an http(s) URL) and parses it by its type. */
export async function readSource(source: string, options: ReadSourceOptions): Promise<LoadedDocument> {
  if (/^https?:\/\//i.test(source)) return readUrl(source, options);
  const type = typeOf(source);
  if (!type)
    throw new ValidationError(
      source,
      'unsupported file type; expected txt, md, html, pdf, docx, json, jsonl or csv',
    );
  const { path, root } = await confine(source, options.roots);
  const bytes = await readFile(path);
  if (bytes.byteLength > (options.maxBytes ?? 50 * 1024 * 1024))
    throw new ValidationError(source, 'larger than maxBytes');
  return parseDocument(relative(root, path) || source, type, bytes);
}

/** The real path of a source if it lies inside one of the roots; `..` and symlinks cannot leave them. */
export async function confine(
  source: string,
  roots: readonly string[],
): Promise<{ path: string; root: string }> {
  let path: string;
  try {
    path = await realpath(resolve(source));
  } catch {
    throw new ValidationError(source, 'no such file');
  }
  for (const root of roots) {
    const realRoot = await realpath(resolve(root)).catch(() => undefined);
    if (realRoot && (path === realRoot || path.startsWith(realRoot + sep))) return { path, root: realRoot };
  }
  throw new ValidationError(source, `outside the allowed folders (${roots.join(', ')})`);
}

const privateRanges = new BlockList();
for (const [network, prefix] of [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['100.64.0.0', 10],
  ['0.0.0.0', 8],
] as const) {
  privateRanges.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['::', 128],
] as const) {
  privateRanges.addSubnet(network, prefix, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return privateRanges.check(mapped, 'ipv4');
  return privateRanges.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

async function readUrl(source: string, options: ReadSourceOptions): Promise<LoadedDocument> {
  let url = new URL(source);
  // Redirects are followed by hand so that each hop's address is checked, not only the first.
  for (let redirects = 0; redirects <= 5; redirects++) {
    await refusePrivate(url, source, options.allowPrivateUrls ?? false);
    const response = await fetch(url, {
      redirect: 'manual',
      signal: AbortSignal.timeout(options.fetchTimeoutMs ?? 30_000),
    }).catch((error: unknown) => {
      throw new ValidationError(
        source,
        `cannot fetch: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url);
      continue;
    }
    if (!response.ok) throw new ValidationError(source, `the server answered HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.byteLength > (options.maxBytes ?? 50 * 1024 * 1024))
      throw new ValidationError(source, 'larger than maxBytes');
    const type = typeFromContentType(response.headers.get('content-type')) ?? typeOf(url.pathname) ?? 'html';
    return parseDocument(source, type, bytes);
  }
  throw new ValidationError(source, 'more than 5 redirects');
}

async function refusePrivate(url: URL, source: string, allowed: boolean): Promise<void> {
  if (allowed) return;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host)
    ? [host]
    : (await lookup(host, { all: true }).catch(() => [])).map((entry) => entry.address);
  const blocked = addresses.find(isPrivateAddress);
  if (blocked) {
    throw new ValidationError(
      source,
      `refused: ${url.hostname} is a private or loopback address (${blocked}); allow private URLs to fetch it`,
    );
  }
}

function typeFromContentType(contentType: string | null): DocumentType | undefined {
  const mime = contentType?.split(';')[0]?.trim().toLowerCase();
  const types: Record<string, DocumentType> = {
    'text/plain': 'txt',
    'text/markdown': 'md',
    'text/html': 'html',
    'application/pdf': 'pdf',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
    'application/json': 'json',
    'application/x-ndjson': 'jsonl',
    'text/csv': 'csv',
  };
  return mime ? types[mime] : undefined;
}
