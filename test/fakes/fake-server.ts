import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Faults a fake can be told to serve on its next request(s). */
export type Fault =
  | 'server-error'
  | 'rate-limit'
  | 'hang'
  | 'stream-cut'
  | 'malformed'
  | 'bad-key'
  | 'refused'
  | 'context-length'
  | 'content-policy'
  | 'invalid-request';

/**
 * Faults every fake serves. `content-policy` is left out: Ollama has no content filter to answer with;
 * the OpenAI and Anthropic fakes serve it (a 400 `content_policy_violation`, a `refusal` stop).
 */
export const allFaults: readonly Fault[] = [
  'server-error',
  'rate-limit',
  'hang',
  'stream-cut',
  'malformed',
  'bad-key',
  'refused',
  'context-length',
  'invalid-request',
];

/** Retry-After, in seconds, that the `rate-limit` fault sends unless a test sets another. */
export const fakeRetryAfterSeconds = 2;

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface FakeRequest extends RecordedRequest {
  /** The fault to serve for this request, if one was queued. */
  fault: Fault | undefined;
  /** The headers a `rate-limit` fault sends to say how long to wait: none when the test removed them. */
  retryAfterHeaders: Record<string, string>;
}

export type FakeHandler = (request: FakeRequest, response: ServerResponse) => void | Promise<void>;

/**
 * A loopback HTTP server that the real SDKs talk to. Each provider's fake supplies the handler;
 * this base records requests, serves queued faults in order and can refuse connections or go down.
 */
export class FakeServer {
  readonly requests: RecordedRequest[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly faults: Fault[] = [];
  private persistentFault: Fault | undefined;
  private port = 0;
  /** Retry-After, in seconds, of the `rate-limit` fault; undefined: a 429 without one. */
  retryAfterSeconds: number | undefined = fakeRetryAfterSeconds;

  constructor(private readonly handler: FakeHandler) {
    this.server = createServer((request, response) => void this.handle(request, response));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Serve `fault` on the next request (queued faults are served in order, one each). */
  failNext(fault: Fault, times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push(fault);
  }

  /** Serve `fault` on every request until `recover()`. */
  failAlways(fault: Fault): void {
    this.persistentFault = fault;
  }

  recover(): void {
    this.persistentFault = undefined;
    this.faults.length = 0;
    this.retryAfterSeconds = fakeRetryAfterSeconds;
  }

  /** Stops listening, so connections are refused, until `start()` again on the same port. */
  async goDown(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async comeBack(): Promise<void> {
    await this.start(this.port);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: keep the text.
    }
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      path: request.url ?? '/',
      headers: request.headers,
      body,
    };
    this.requests.push(recorded);
    const fault = this.faults.shift() ?? this.persistentFault;
    if (fault === 'refused') {
      request.socket.destroy();
      return;
    }
    if (fault === 'hang') return; // never answers; the client's timeout or abort ends it
    try {
      const retryAfterHeaders: Record<string, string> =
        this.retryAfterSeconds === undefined ? {} : { 'retry-after': String(this.retryAfterSeconds) };
      await this.handler({ ...recorded, fault, retryAfterHeaders }, response);
    } catch (error) {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: String(error) } }));
    }
  }
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/** A 200 whose body is not the JSON the client expects. */
export function sendMalformed(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end('{"id": "truncated", "choices": [');
}

/** Writes the first `keep` pieces of a stream, then drops the connection mid-way. */
export function cutStream(response: ServerResponse, pieces: string[], keep = 2): void {
  for (const piece of pieces.slice(0, keep)) response.write(piece);
  setTimeout(() => response.socket?.destroy(), 10);
}

export function bearerToken(headers: IncomingMessage['headers']): string | undefined {
  const value = headers['authorization'];
  return typeof value === 'string' && value.startsWith('Bearer ') ? value.slice('Bearer '.length) : undefined;
}
