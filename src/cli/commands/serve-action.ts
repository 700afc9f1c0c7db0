import { startServer } from '../../server/start-server.js';
import { ValidationError } from '../../shared/errors.js';
import type { CliContext } from '../context.js';
import { openRuntime } from '../runtime.js';
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
    await stopRequested(context);
    await server.close();
  } finally {
    await runtime.close();
  }
}

/** SIGINT or SIGTERM; or, for a command run inside another process, the context's shutdown signal. */
function stopRequested(context: CliContext): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    if (context.shutdown) {
      if (context.shutdown.aborted) return done();
      context.shutdown.addEventListener('abort', done, { once: true });
      return;
    }
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
