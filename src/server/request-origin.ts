import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorReply, HttpError } from './http-error.js';

/** A loopback name: localhost, 127.x.x.x or ::1 (bracketed or not). */
export function isLoopback(host: string): boolean {
  const bare = host.toLowerCase().replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

/** The name of a Host header without its port: `[::1]:8080` → `[::1]`, `localhost:80` → `localhost`. */
export function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1 || undefined);
  const colon = host.indexOf(':');
  return colon >= 0 && colon === host.lastIndexOf(':') ? host.slice(0, colon) : host;
}

const stateChanging = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Guards against other sites driving the API from a browser:
 * - a state-changing request whose `Origin` is not this server's own (same scheme, host and port as
 *   the request's `Host`, or the `X-Forwarded-Host`/`X-Forwarded-Proto` a reverse proxy sets) is refused;
 *   clients that send no `Origin` (SDKs, curl) pass;
 * - with no tokens (loopback only), a request addressed to a name that is not loopback is refused, so a
 *   site whose name is made to resolve to 127.0.0.1 (DNS rebinding) cannot read or drive it.
 * Both answer 403 before anything else runs.
 */
export function installOriginCheck(app: FastifyInstance, options: { loopbackOnly: boolean }): void {
  app.addHook('onRequest', async (request, reply) => {
    const host = request.headers.host;
    let refusal: HttpError | undefined;
    if (options.loopbackOnly && host !== undefined && !isLoopback(hostnameOf(host))) {
      refusal = new HttpError(
        403,
        'host_not_allowed',
        `request addressed to '${host}' refused: with no tokens set the server answers only requests to localhost, 127.x.x.x or [::1] (other names could be pointed at this machine by another site); set server.tokens to serve other names`,
      );
    } else if (stateChanging.has(request.method) && request.headers.origin !== undefined) {
      const origin = request.headers.origin;
      if (!isOwnOrigin(origin, request))
        refusal = new HttpError(
          403,
          'cross_origin',
          `cross-origin request refused: Origin '${origin}' is not this server's (${request.protocol}://${host ?? ''})`,
        );
    }
    if (!refusal) return;
    // Answered here rather than thrown: a plugin's own error handler (Bull Board's) would turn it into a 500.
    const { status, body } = errorReply(refusal);
    return reply.code(status).send(body);
  });
}

function isOwnOrigin(origin: string, request: FastifyRequest): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // `null` (a sandboxed frame, a file) among others
  }
  if (url.origin === 'null') return false;
  const schemes = [request.protocol, ...listOf(request.headers['x-forwarded-proto'])];
  const hosts = [request.headers.host, ...listOf(request.headers['x-forwarded-host'])];
  if (!schemes.some((scheme) => `${scheme}:` === url.protocol)) return false;
  return hosts.some((host) => {
    if (!host) return false;
    try {
      // Read with the origin's scheme, so a default port written or left out compares equal.
      return new URL(`${url.protocol}//${host}`).host === url.host;
    } catch {
      return false;
    }
  });
}

/** The first value of a header a proxy may have set (`a, b` → `a`), if any. */
function listOf(header: string | string[] | undefined): string[] {
  const first = [header].flat()[0]?.split(',')[0]?.trim();
  return first ? [first] : [];
}
