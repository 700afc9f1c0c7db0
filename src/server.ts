// The server entry, `atlas-queue/server`: the HTTP API, the OpenAI-compatible endpoint, the dashboard
// and `/metrics`. A producer: it loads the client, never the workers, stores or provider SDKs.
export { type BuildServerOptions, type BuiltServer, buildServer } from './server/build-server.js';
export { type AtlasServer, assertSafeBinding, isLoopback, startServer } from './server/start-server.js';
