import { resolve } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { AtlasClient } from '../producer/atlas-client.js';
import { loadSettings, type Settings } from '../shared/config/settings.js';
import { createKeys } from '../shared/keys.js';
import { createLogger, type Logger, registerSecret } from '../shared/log.js';
import { createRedis } from '../shared/redis.js';
import { GenerationQueues } from '../shared/requests/generation-queues.js';
import { within } from '../shared/within.js';
import { installAuth, TokenCheck } from './auth.js';
import { mountBullBoard } from './bull-board.js';
import { errorReply, HttpError } from './http-error.js';
import { installOriginCheck } from './request-origin.js';
import { RouteTable } from './route-table.js';
import { dashboardRoutes } from './routes/dashboard-routes.js';
import { embeddingsRoute } from './routes/embeddings-route.js';
import { knowledgeRoutes } from './routes/knowledge-routes.js';
import { metricsRoute } from './routes/metrics-route.js';
import { openAiRoutes } from './routes/openai-routes.js';
import { requestRoutes } from './routes/request-routes.js';
import { workflowRoutes } from './routes/workflow-routes.js';
import type { ServerContext } from './server-context.js';

/** How long each step of closing the server may take. */
const closeStepMs = 3_000;

export interface BuildServerOptions {
  /** @default loadSettings() */
  settings?: Settings;
  /** @default a logger at the settings' level */
  log?: Logger;
}

export interface BuiltServer {
  app: FastifyInstance;
  /** Every route fastify registered (method and URL), Bull Board's included: what the OpenAPI document must cover. */
  registered: Array<{ method: string; url: string }>;
  context: ServerContext;
  /** Stops the HTTP server, then closes the client and Redis connections. */
  close(): Promise<void>;
}

/** The HTTP server, routes registered, not yet listening. */
export async function buildServer(options: BuildServerOptions = {}): Promise<BuiltServer> {
  const settings = options.settings ?? loadSettings();
  const log = options.log ?? createLogger({ level: settings.log.level, name: 'atlas-server' });
  for (const token of settings.server.tokens) registerSecret(token);
  const app = Fastify({
    logger: false,
    bodyLimit: settings.server.bodyLimitBytes,
    return503OnClosing: true,
    // Streams being followed (SSE) hold their connections open: closing the server ends them rather than
    // waiting for them.
    forceCloseConnections: true,
  });
  const redis = createRedis(settings.redis.url, { name: 'atlas-server' });
  const keys = createKeys(settings.redis.prefix);
  const client = new AtlasClient({ settings });
  const queues = new GenerationQueues(redis, keys, settings.workers);
  const context: ServerContext = { settings, log, client, redis, keys, queues };
  const registered: BuiltServer['registered'] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) registered.push({ method, url: route.url });
  });

  app.setErrorHandler((error, _request, reply) => {
    const { status, body } = errorReply(error);
    if (status >= 500 && status !== 503 && status !== 504) log.error({ err: error }, 'request failed');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({
      error: {
        message: `no route ${request.method} ${request.url.split('?')[0]}`,
        type: 'http_error',
        code: 'not_found',
        param: null,
      },
    });
  });
  // An empty JSON body (a POST with nothing to say, such as a cancel) is no body rather than an error.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    parseJson(request, String(body), done);
  });
  // A form is what the login page posts, and only it: every other route takes JSON, which another site's
  // page cannot send without the browser asking first.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (request, body, done) => {
      if (request.routeOptions.url !== '/login')
        return done(
          new HttpError(
            415,
            'unsupported_media_type',
            `${request.method} ${request.url.split('?')[0]} takes JSON (content-type: application/json), not a form`,
          ),
          undefined,
        );
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    },
  );
  const check = new TokenCheck(settings.server.tokens);
  installOriginCheck(app, { loopbackOnly: !check.enabled });
  installAuth(app, check);

  const routes = new RouteTable(app);
  routes.add({
    method: 'GET',
    url: '/healthz',
    summary: 'Liveness: answers without a token.',
    tag: 'server',
    handler: () => ({ ok: true }),
  });
  requestRoutes(routes, client);
  openAiRoutes(routes, client);
  const embeddings = embeddingsRoute(routes, context);
  knowledgeRoutes(
    routes,
    client,
    (settings.server.ingestRoots ?? [process.cwd()]).map((root) => resolve(root)),
  );
  workflowRoutes(routes, client);
  metricsRoute(routes, context);
  const dashboard = dashboardRoutes(routes, context, check);
  const closeBoard = await mountBullBoard(app, context);
  routes.note('GET', '/queues', 'Bull Board: every queue, its jobs, retries and clean-ups.', 'dashboard');
  routes.add({
    method: 'GET',
    url: '/openapi.json',
    summary: 'This document.',
    tag: 'server',
    handler: () => routes.openApi({ title: 'Atlas', version: '0.1.0' }),
  });

  return {
    app,
    registered,
    context,
    async close() {
      // Each step bounded: with Redis unreachable a close can wait on it for ever, and a server asked to
      // stop must stop.
      await within(app.close(), closeStepMs);
      await within(dashboard.close(), closeStepMs);
      embeddings.close();
      await within(closeBoard(), closeStepMs);
      await within(client.close(), closeStepMs);
      await within(queues.close(), closeStepMs);
      if (!(await within(redis.quit(), closeStepMs))) redis.disconnect();
    },
  };
}
