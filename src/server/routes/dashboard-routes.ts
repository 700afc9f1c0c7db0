import * as z from 'zod';
import { bearerOf, clearSessionCookie, setSessionCookie, type TokenCheck } from '../auth.js';
import { DashboardReader } from '../dashboard/dashboard-data.js';
import { dashboardPage, loginPage } from '../dashboard/dashboard-page.js';
import type { RouteTable } from '../route-table.js';
import type { ServerContext } from '../server-context.js';

const loginBody = z.object({ token: z.string().default(''), next: z.string().default('/') });
const loginQuery = z.object({ next: z.string().default('/') });

/** Only a path on this server: an open redirect would hand the session to anyone's page. */
const safeNext = (next: string) => (/^\/(?!\/)/.test(next) ? next : '/');

/** The dashboard page, the data it polls, and the login that turns a token into a session cookie. */
export function dashboardRoutes(
  routes: RouteTable,
  context: ServerContext,
  check: TokenCheck,
): DashboardReader {
  const reader = new DashboardReader(context);
  const tag = 'dashboard';
  routes.add({
    method: 'GET',
    url: '/',
    summary:
      'The dashboard: queues, breakers over time, recent requests with hops, ingestion batches, workflow runs with their steps; live.',
    tag,
    produces: 'text/html',
    handler: ({ reply }) =>
      reply.type('text/html; charset=utf-8').send(dashboardPage(context.settings.redis.prefix)),
  });
  routes.add({
    method: 'GET',
    url: '/dashboard/data',
    summary: 'What the dashboard shows, as JSON (it polls this every second).',
    tag,
    handler: () => reader.read(),
  });
  routes.add({
    method: 'GET',
    url: '/login',
    summary: 'The form asking a browser for a server token once.',
    tag,
    query: loginQuery,
    produces: 'text/html',
    handler: ({ query, reply }) =>
      reply.type('text/html; charset=utf-8').send(loginPage(safeNext(query.next), false)),
  });
  routes.add({
    method: 'POST',
    url: '/login',
    summary:
      'Checks a token (form field or bearer header) and keeps a session derived from it in an HttpOnly, SameSite=Strict cookie.',
    tag,
    body: loginBody,
    responses: { 303: 'Signed in: on to `next`', 401: 'Not a valid token' },
    handler: ({ body, request, reply }) => {
      const token = body.token || bearerOf(request) || '';
      const next = safeNext(body.next);
      if (!check.enabled) return reply.redirect(next, 303);
      if (!check.validToken(token))
        return reply.code(401).type('text/html; charset=utf-8').send(loginPage(next, true));
      setSessionCookie(request, reply, token);
      return reply.redirect(next, 303);
    },
  });
  routes.add({
    method: 'POST',
    url: '/logout',
    summary: "Ends the browser's session.",
    tag,
    responses: { 303: 'Signed out' },
    handler: ({ reply }) => {
      clearSessionCookie(reply);
      return reply.redirect('/login', 303);
    },
  });
  return reader;
}
