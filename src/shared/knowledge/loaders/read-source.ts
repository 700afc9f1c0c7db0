import { open, realpath } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { ValidationError } from '../../errors.js';
import type { Resolver } from '../../net/address-guard.js';
import { guardedFetch } from '../../net/guarded-fetch.js';
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
  /** How URL hosts are resolved for the address check. @default the system resolver */
  resolve?: Resolver;
}

const defaultMaxBytes = 50 * 1024 * 1024;

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
  const bytes = await readCapped(source, path, options.maxBytes ?? defaultMaxBytes);
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
    // The root folder itself ends in a separator already: `/` holds `/file`, not just `//file`.
    const inside = realRoot?.endsWith(sep) ? realRoot : `${realRoot}${sep}`;
    if (realRoot && (path === realRoot || path.startsWith(inside))) return { path, root: realRoot };
  }
  throw new ValidationError(source, `outside the allowed folders (${roots.join(', ')})`);
}

/** Reads a file whose size is checked first; a file that grows while read is cut off at the cap and refused. */
async function readCapped(source: string, path: string, maxBytes: number): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    if (size > maxBytes)
      throw new ValidationError(source, `larger than the limit of ${maxBytes} bytes: the file has ${size}`);
    const buffer = Buffer.alloc(size + 1);
    let read = 0;
    while (read < buffer.byteLength) {
      const { bytesRead } = await file.read(buffer, read, buffer.byteLength - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    if (read > size)
      throw new ValidationError(
        source,
        `larger than the limit of ${maxBytes} bytes: the file grew while read`,
      );
    return buffer.subarray(0, read);
  } finally {
    await file.close();
  }
}

async function readUrl(source: string, options: ReadSourceOptions): Promise<LoadedDocument> {
  const response = await guardedFetch(source, {
    field: source,
    allowPrivate: options.allowPrivateUrls ?? false,
    ...(options.resolve ? { resolve: options.resolve } : {}),
    timeoutMs: options.fetchTimeoutMs ?? 30_000,
    maxBytes: options.maxBytes ?? defaultMaxBytes,
    overLimit: 'refuse',
  });
  if (response.status < 200 || response.status >= 300)
    throw new ValidationError(source, `the server answered HTTP ${response.status}`);
  const type = typeFromContentType(response.contentType) ?? typeOf(response.url.pathname) ?? 'html';
  return parseDocument(source, type, response.bytes);
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
