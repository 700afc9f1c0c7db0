import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Recorded provider responses (test/fixtures/wire; their sources are named in its README). */
const wireDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'wire');

export function readWireJson<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(readFileSync(join(wireDirectory, path), 'utf8')) as T;
}

/** A recorded stream: one JSON event per line. */
export function readWireChunks<T = Record<string, unknown>>(path: string): T[] {
  return readFileSync(join(wireDirectory, path), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as T);
}
