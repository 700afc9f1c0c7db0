import http from 'node:http';
import https from 'node:https';

/**
 * The `fetch` the provider SDKs are given: plain `node:http` requests on keep-alive agents. Node's own
 * `fetch` (undici, WHATWG streams) cost a worker about 0.75 ms of CPU per SDK call against a loopback
 * server, this about 0.35 ms: with many calls in flight the HTTP client was the worker's largest cost.
 * A JSON reply (every non-streamed answer and every error) is read whole and handed over as one buffer;
 * any other reply (server-sent events, NDJSON) keeps streaming through a web stream, as from `fetch`.
 * A request whose body is not a string, a redirect and a status outside 200–599 go to Node's `fetch`.
 */
export function sdkFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const { body, signal } = init;
  if (input instanceof Request || (body !== undefined && body !== null && typeof body !== 'string'))
    return fetch(input, init);
  const url = typeof input === 'string' ? new URL(input) : input;
  const secure = url.protocol === 'https:';
  return new Promise<Response>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const failed = (error: Error) => {
      signal?.removeEventListener('abort', abort);
      // As `fetch`: an abort rejects with the signal's reason, a network failure with "fetch failed".
      reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: error }));
    };
    const request = (secure ? https : http).request(url, {
      method: init.method ?? 'GET',
      headers: headerRecord(init.headers),
      agent: secure ? httpsAgent : httpAgent,
    });
    let reply: http.IncomingMessage | undefined;
    let failBody: ((reason: unknown) => void) | undefined;
    const abort = () => {
      // As `fetch`: a body being streamed fails at once with the signal's reason, chunks still queued too.
      failBody?.(signal?.reason);
      (reply ?? request).destroy(signal?.reason);
    };
    signal?.addEventListener('abort', abort, { once: true });
    request.on('error', failed);
    request.on('response', (response) => {
      try {
        answer(response);
      } catch (error) {
        // A header Headers will not hold, say: the call fails instead of the process.
        response.destroy();
        failed(error as Error);
      }
    });
    const answer = (response: http.IncomingMessage) => {
      reply = response;
      const status = response.statusCode ?? 0;
      const headers = new Headers();
      const raw = response.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
      const done = () => signal?.removeEventListener('abort', abort);
      if (status < 200 || status > 599 || (redirects.has(status) && headers.has('location'))) {
        // Rare answers go to Node's fetch, which follows redirects and rejects what no Response can hold.
        response.resume();
        done();
        resolve(fetch(input, init));
        return;
      }
      const meta = { status, statusText: response.statusMessage ?? '', headers };
      if (nullBody(status)) {
        response.resume();
        done();
        resolve(new Response(null, meta));
        return;
      }
      if (!/^application\/json\b/i.test(headers.get('content-type') ?? '')) {
        response.once('close', done);
        const body = webBody(response);
        failBody = body.fail;
        resolve(new Response(body.stream, meta));
        return;
      }
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('error', failed);
      response.once('end', () => {
        done();
        try {
          resolve(new Response(Buffer.concat(chunks), meta));
        } catch (error) {
          // A status text `Response` refuses (a control character, say): the call fails, not the process.
          failed(error as Error);
        }
      });
    };
    request.end(body ?? undefined);
  });
}

// An idle socket is closed after 4 s, before a server's own idle timeout (Node's default is 5 s) could
// close it under a request just sent on it. A socket in use only hears of the timeout; nothing aborts.
const idleMs = 4_000;
const httpAgent = new http.Agent({ keepAlive: true, timeout: idleMs });
const httpsAgent = new https.Agent({ keepAlive: true, timeout: idleMs });

/**
 * A reply as a web stream. Node 20's `Readable.toWeb` can enqueue a chunk after its stream was cancelled
 * (a reader that stops early, say) and throw out of an event handler, which would end the process; here
 * whatever arrives after the stream ended or was cancelled is dropped, and a cancel frees the socket.
 */
function webBody(response: http.IncomingMessage): {
  stream: ReadableStream<Uint8Array>;
  fail: (reason: unknown) => void;
} {
  let ended = false;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const finish = (error?: unknown) => {
    if (ended) return;
    ended = true;
    if (error === undefined) controller.close();
    else controller.error(error);
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      start(started) {
        controller = started;
        response.on('data', (chunk: Buffer) => {
          if (ended) return;
          controller.enqueue(chunk);
          if ((controller.desiredSize ?? 0) <= 0) response.pause();
        });
        response.once('end', () => finish());
        response.on('error', (error) => finish(error));
        // Closed before its end: the connection broke or was aborted, as `fetch` reports it.
        response.once('close', () => finish(response.errored ?? new TypeError('terminated')));
      },
      pull() {
        response.resume();
      },
      cancel(reason) {
        ended = true;
        response.destroy(reason instanceof Error ? reason : undefined);
      },
    },
    { highWaterMark: 16 },
  );
  return { stream, fail: (reason) => finish(reason) };
}

const redirects = new Set([301, 302, 303, 307, 308]);

function nullBody(status: number): boolean {
  return status === 101 || status === 204 || status === 205 || status === 304;
}

function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  const record: Record<string, string> = {};
  if (!headers) return record;
  new Headers(headers).forEach((value, name) => {
    record[name] = value;
  });
  return record;
}
