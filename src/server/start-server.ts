import { loadSettings, type ServerSettings } from '../shared/config/settings.js';
import { ConfigError } from '../shared/errors.js';
import { type BuildServerOptions, type BuiltServer, buildServer } from './build-server.js';
import { isLoopback } from './request-origin.js';

export { isLoopback };

export interface AtlasServer extends BuiltServer {
  /** Where it listens: `http://127.0.0.1:8080`. */
  url: string;
}

/** Refuses, in one line, to serve an unauthenticated API anywhere but on loopback. */
export function assertSafeBinding(server: Pick<ServerSettings, 'host' | 'tokens'>): void {
  if (server.tokens.length === 0 && !isLoopback(server.host))
    throw new ConfigError(
      'server.tokens',
      `refusing to listen on ${server.host} without tokens; set ATLAS_SERVER_TOKENS (or server.tokens in atlas.config.json), or listen on 127.0.0.1`,
    );
}

/** Builds the server and listens on the settings' host and port. */
export async function startServer(options: BuildServerOptions = {}): Promise<AtlasServer> {
  const settings = options.settings ?? loadSettings();
  assertSafeBinding(settings.server);
  const built = await buildServer({ ...options, settings });
  try {
    const address = await built.app.listen({ host: settings.server.host, port: settings.server.port });
    return { ...built, url: address };
  } catch (error) {
    await built.close();
    throw error;
  }
}
