import { startServer } from '../../server/start-server.js';
import { ValidationError } from '../../shared/errors.js';
import type { CliContext } from '../context.js';
import { openRuntime } from '../runtime.js';
import { type StopReason, stopRequested } from '../stop-requested.js';
import type { ServeOptions } from './serve.js';

export async function runServe(options: ServeOptions, context: CliContext): Promise<void> {
  const port = options.port === undefined ? undefined : Number(options.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535))
    throw new ValidationError('--port', `expected a port number from 0 to 65535, got '${options.port}'`);
  const runtime = await openRuntime({ startRedisIfMissing: false, logLevel: 'info', context });
  const settings = {
    ...runtime.settings,
    server: {
      ...runtime.settings.server,
      ...(options.host ? { host: options.host } : {}),
      ...(port === undefined ? {} : { port }),
    },
  };
  try {
    const server = await startServer({ settings, log: runtime.log });
    context.print(
      `atlas serve: listening on ${server.url} (dashboard ${server.url}/, API ${server.url}/v1, OpenAPI ${server.url}/openapi.json)${settings.server.tokens.length ? '' : '; no tokens: loopback only'}`,
    );
    const reason = await stopOf(context);
    await server.close();
    if ('error' in reason) {
      runtime.log.fatal({ err: reason.error }, 'unexpected error; the server stopped');
      throw reason.error;
    }
  } finally {
    await runtime.close();
  }
}

/** A signal or an uncaught error; or, for a command run inside another process, its shutdown signal. */
function stopOf(context: CliContext): Promise<StopReason> {
  const shutdown = context.shutdown;
  if (!shutdown) return stopRequested();
  return new Promise((resolve) => {
    if (shutdown.aborted) return resolve({ signal: 'SIGTERM' });
    shutdown.addEventListener('abort', () => resolve({ signal: 'SIGTERM' }), { once: true });
  });
}
