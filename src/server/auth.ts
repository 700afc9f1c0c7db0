import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorReply, HttpError } from './http-error.js';

/** Name of the cookie the dashboard keeps its session in (a browser cannot send a bearer header). */
export const sessionCookie = 'atlas_session';

/** Paths anyone may reach: the login form and the liveness check. */
const publicPaths = new Set(['/login', '/healthz']);

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Bearer tokens, checked in constant time: every token is compared (through its SHA-256 digest, so
 * lengths never differ) whatever matched before, so the time taken tells nothing of a token.
 */
export class TokenCheck {
  private readonly tokenDigests: Buffer[];
  private readonly sessionDigests: Buffer[];

  constructor(tokens: readonly string[]) {
    this.tokenDigests = tokens.map(digest);
    this.sessionDigests = tokens.map((token) => digest(sessionOf(token)));
  }

  get enabled(): boolean {
    return this.tokenDigests.length > 0;
  }

  validToken(given: string | undefined): boolean {
    return given !== undefined && anyEqual(this.tokenDigests, digest(given));
  }

  validSession(given: string | undefined): boolean {
    return given !== undefined && anyEqual(this.sessionDigests, digest(given));
  }
}

/** The cookie value a token gives: derived from the token, so the token itself never sits in the cookie jar. */
export function sessionOf(token: string): string {
  return createHash('sha256').update(`atlas-dashboard-session:${token}`).digest('hex');
}

function anyEqual(candidates: readonly Buffer[], given: Buffer): boolean {
  let found = false;
  for (const candidate of candidates) found = timingSafeEqual(candidate, given) || found;
  return found;
}

export function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
}

export function cookieOf(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/**
 * Checks every request before anything else runs (so a refused one touches nothing, in Redis or
 * elsewhere): a bearer token, or the dashboard's session cookie. A browser asking for a page without
 * either is sent to the login form; anything else gets a 401.
 */
export function installAuth(app: FastifyInstance, check: TokenCheck): void {
  if (!check.enabled) return;
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (publicPaths.has(path)) return;
    if (check.validToken(bearerOf(request)) || check.validSession(cookieOf(request, sessionCookie))) return;
    if (request.method === 'GET' && request.headers.accept?.includes('text/html')) {
      return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
    }
    // Answered here rather than thrown: a plugin's own error handler (Bull Board's) would turn it into a 500.
    const { status, body } = errorReply(
      new HttpError(401, 'unauthorized', 'a valid bearer token is required (Authorization: Bearer …)'),
    );
    return reply.code(status).header('www-authenticate', 'Bearer').send(body);
  });
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string): void {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  reply.header(
    'set-cookie',
    `${sessionCookie}=${sessionOf(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=604800${secure}`,
  );
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.header('set-cookie', `${sessionCookie}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
}
