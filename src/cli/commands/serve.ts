import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export interface ServeOptions {
  host?: string;
  port?: string;
}

export function registerServeCommand(program: Command, context: CliContext): void {
  program
    .command('serve')
    .description(
      'run the HTTP API until stopped: requests (JSON and SSE), OpenAI-compatible /v1/chat/completions, ' +
        'knowledge, the dashboard at /, Bull Board at /queues, /metrics, /openapi.json',
    )
    .option('--host <address>', 'address to listen on (ATLAS_SERVER_HOST; default 127.0.0.1)')
    .option('--port <n>', 'port to listen on, 0 for any free one (ATLAS_SERVER_PORT; default 8080)')
    .action(async (options: ServeOptions) => (await import('./serve-action.js')).runServe(options, context));
}
