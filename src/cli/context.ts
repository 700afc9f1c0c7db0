import type { Environment } from '../shared/config/environment.js';

/**
 * Where a command reads its environment and writes its output. The `atlas` process uses its own
 * (`processContext`); tests run commands in-process with one that captures what they print.
 */
export interface CliContext {
  env: Environment;
  /** Writes one line to stdout. */
  print(line?: string): void;
  /** Writes text to stdout as it is (a stream's deltas). */
  write(text: string): void;
  /** Writes one line to stderr. */
  warn(line: string): void;
  /** Where progress bars draw (stderr; they draw only when it is a terminal). */
  progress: NodeJS.WritableStream;
  /** Stops a long-running command (`serve`) run inside another process; without it, SIGINT or SIGTERM do. */
  shutdown?: AbortSignal;
  /** Set by a command that ran to its end but must report a failure (`atlas doctor` finding a fault). */
  exitCode?: number;
}

export function processContext(): CliContext {
  return {
    env: process.env,
    print: (line = '') => void process.stdout.write(`${line}\n`),
    write: (text) => void process.stdout.write(text),
    warn: (line) => void process.stderr.write(`${line}\n`),
    progress: process.stderr,
  };
}
