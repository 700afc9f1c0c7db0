import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileSettings, Settings } from '../../src/shared/config/settings.js';
import { type CliResult, runCliInProcess } from './run-cli.js';

export interface ServedCli {
  url: string;
  /** Stops `atlas serve` and resolves to what it printed. */
  stop(): Promise<CliResult>;
}

/** An atlas.config.json with the settings' provider instances (and `file` over them); resolves to its path. */
export function writeConfig(settings: Settings, file: FileSettings = {}): string {
  const configPath = join(mkdtempSync(join(tmpdir(), 'atlas-serve-')), 'atlas.config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      providers: settings.providers,
      generation: { healthCacheMs: settings.generation.healthCacheMs },
      ...file,
    }),
  );
  return configPath;
}

/** The environment a CLI command needs to reach the same deployment as `settings`. */
export function cliEnvironment(settings: Settings, file: FileSettings = {}): Record<string, string> {
  return {
    REDIS_URL: settings.redis.url,
    ATLAS_PREFIX: settings.redis.prefix,
    ATLAS_CONFIG: writeConfig(settings, file),
  };
}

/**
 * Runs `atlas serve --port 0` in this process with the given settings (written to an atlas.config.json of
 * its own, the prefix and Redis given through the environment as a deployment would), and resolves once
 * it listens.
 */
export async function serveInProcess(
  settings: Settings,
  file: FileSettings = {},
  env: Record<string, string | undefined> = {},
): Promise<ServedCli> {
  const shutdown = new AbortController();
  let resolveUrl: (url: string) => void = () => undefined;
  const listening = new Promise<string>((resolve) => {
    resolveUrl = resolve;
  });
  const finished = runCliInProcess(
    ['serve', '--port', '0'],
    {
      REDIS_URL: settings.redis.url,
      ATLAS_PREFIX: settings.redis.prefix,
      ATLAS_CONFIG: writeConfig(settings, file),
      ...env,
    },
    {
      shutdown: shutdown.signal,
      onLine: (line) => {
        const match = /listening on (http:\/\/\S+)/.exec(line);
        if (match) resolveUrl(match[1]!);
      },
    },
  );
  const url = await Promise.race([
    listening,
    finished.then((result) => {
      throw new Error(`atlas serve exited with ${result.code}: ${result.stderr}`);
    }),
  ]);
  return {
    url,
    stop: async () => {
      shutdown.abort();
      return finished;
    },
  };
}
