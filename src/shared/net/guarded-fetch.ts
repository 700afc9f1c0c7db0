import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AtlasError, ValidationError } from '../errors.js';
import { type AddressGuardOptions, checkUrl, guardedLookup } from './address-guard.js';

export interface GuardedFetchOptions extends Pick<AddressGuardOptions, 'allowPrivate' | 'resolve'> {
  /** The name errors carry (a document's source, a tool's argument). */
  field: string;
  /** The whole exchange, redirects and body included. */
  timeoutMs: number;
  /** Largest body read, in bytes. */
  maxBytes: number;
  /** `refuse`: a larger body is an error naming the limit; `truncate`: its first `maxBytes` are returned. */
  overLimit: 'refuse' | 'truncate';
  /** @default 5 */
  maxRedirects?: number;
  signal?: AbortSignal;
  accept?: string;
}

export interface FetchedBody {
  /** Where the body came from, after redirects. */
  url: URL;
  status: number;
  contentType: string;
  bytes: Buffer;
  truncated: boolean;
}

/**
 * GET over http(s) for anything fetched on a user's behalf (URL ingestion, the HTTP fetch tool). Each
 * redirect hop is checked again (http or https only); connections resolve through the address guard,
 * so the address connected to is the address checked; the body is read up to a byte cap and never
 * buffered past it; one timeout bounds the whole exchange and is reported as such.
 */
export async function guardedFetch(url: string | URL, options: GuardedFetchOptions): Promise<FetchedBody> {
  const guard = {
    allowPrivate: options.allowPrivate ?? false,
    ...(options.resolve ? { resolve: options.resolve } : {}),
  };
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const timedOut = () =>
    new AtlasError(
      'timeout',
      `${options.field}: no complete answer within ${options.timeoutMs} ms (the server is too slow)`,
    );
  let current = typeof url === 'string' ? new URL(url) : url;
  const maxRedirects = options.maxRedirects ?? 5;
  for (let redirects = 0; redirects <= maxRedirects; redirects++) {
    await checkUrl(current, { ...guard, field: options.field });
    let response: IncomingMessage;
    try {
      response = await get(current, guard, signal, options.accept);
    } catch (error) {
      if (timeout.aborted) throw timedOut();
      if (error instanceof AtlasError) throw error;
      throw new ValidationError(options.field, `cannot fetch: ${describe(error)}`);
    }
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status >= 300 && status < 400 && location) {
      response.resume();
      current = new URL(location, current);
      continue;
    }
    const declared = Number(response.headers['content-length']);
    if (options.overLimit === 'refuse' && Number.isFinite(declared) && declared > options.maxBytes) {
      response.destroy();
      throw tooLarge(options, `its Content-Length is ${declared} bytes`);
    }
    try {
      const { bytes, truncated } = await readCapped(response, options.maxBytes);
      if (truncated && options.overLimit === 'refuse')
        throw tooLarge(options, `more than ${options.maxBytes} bytes arrived`);
      return {
        url: current,
        status,
        contentType: String(response.headers['content-type'] ?? ''),
        bytes,
        truncated,
      };
    } catch (error) {
      if (timeout.aborted) throw timedOut();
      throw error;
    }
  }
  throw new ValidationError(options.field, `more than ${maxRedirects} redirects`);
}

function tooLarge(options: GuardedFetchOptions, size: string): ValidationError {
  return new ValidationError(options.field, `larger than the limit of ${options.maxBytes} bytes: ${size}`);
}

function get(
  url: URL,
  guard: AddressGuardOptions,
  signal: AbortSignal,
  accept = '*/*',
): Promise<IncomingMessage> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = request(url, {
      method: 'GET',
      lookup: guardedLookup(guard),
      signal,
      headers: { 'user-agent': 'atlas', accept },
    });
    outgoing.on('response', resolve);
    outgoing.on('error', reject);
    outgoing.end();
  });
}

async function readCapped(
  response: IncomingMessage,
  maxBytes: number,
): Promise<{ bytes: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.byteLength;
    if (size > maxBytes) {
      response.destroy();
      return { bytes: Buffer.concat(chunks).subarray(0, maxBytes), truncated: true };
    }
  }
  return { bytes: Buffer.concat(chunks), truncated: false };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}
