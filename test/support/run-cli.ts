import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { CliContext } from '../../src/cli/context.js';
import { runCli as runCliProgram } from '../../src/cli/program.js';
import type { FileSettings } from '../../src/shared/config/settings.js';
import { redisUrl } from './redis.js';

/**
 * A folder holding an `atlas.config.json` with these provider instances (two mocks unless given), and
 * the environment an `atlas` run in a test needs: this Redis, its own prefix, that config, and an
 * embedded store inside the folder.
 */
export function cliTestEnvironment(
  label: string,
  prefix: string,
  providers: FileSettings['providers'] = {
    basic: { type: 'mock', defaultModel: 'mock-basic' },
    advanced: { type: 'mock', defaultModel: 'mock-advanced' },
  },
): { dir: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), `atlas-${label}-`));
  const config = join(dir, 'atlas.config.json');
  writeFileSync(config, JSON.stringify({ providers, providerOrder: ['basic', 'advanced'] }));
  return {
    dir,
    env: {
      REDIS_URL: redisUrl(),
      ATLAS_PREFIX: prefix,
      ATLAS_CONFIG: config,
      ATLAS_KNOWLEDGE_DIR: join(dir, 'lancedb'),
    },
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the `atlas` command in this process, as `atlas` would run it with this environment (the test's
 * own, with `env` over it), capturing what it prints. No process start-up: use it for most checks and
 * `runCli` for the few that must see a real process (exit codes, a terminal).
 */
export async function runCliInProcess(
  args: string[],
  env: Record<string, string | undefined> = {},
  options: {
    /** Stops a long-running command (`serve`). */
    shutdown?: AbortSignal;
    /** Called with each line printed to stdout, as it is printed. */
    onLine?: (line: string) => void;
  } = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const context: CliContext = {
    ...(options.shutdown ? { shutdown: options.shutdown } : {}),
    env: { ...process.env, ATLAS_LOG_LEVEL: 'silent', ...env },
    print: (line = '') => {
      stdout += `${line}\n`;
      options.onLine?.(line);
    },
    write: (text) => {
      stdout += text;
    },
    warn: (line) => {
      stderr += `${line}\n`;
    },
    progress: new Writable({
      write(chunk: Buffer, _encoding, done) {
        stderr += chunk.toString();
        done();
      },
    }),
  };
  const code = await runCliProgram(['node', 'atlas', ...args], context);
  return { code, stdout, stderr };
}

/** Runs the `atlas` command from source in a child process. */
export function runCli(
  args: string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 30_000,
  /** Piped to its standard input, which then ends; none: no input at all. */
  input?: string,
): Promise<CliResult> {
  return run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], env, timeoutMs, input);
}

/**
 * Runs the `atlas` command from source in a pseudo-terminal (util-linux `script`), as a person at a
 * terminal sees it: progress bars draw only there. stdout and stderr arrive together, in `stdout`.
 */
export async function runCliInTerminal(
  args: string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 60_000,
): Promise<CliResult> {
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, '--import', 'tsx', 'src/cli/main.ts', ...args].map(quote).join(' ');
  const result = await run('script', ['-qefc', command, '/dev/null'], env, timeoutMs);
  return { code: result.code, stdout: result.stdout + result.stderr, stderr: '' };
}

function run(
  command: string,
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs: number,
  input?: string,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ATLAS_LOG_LEVEL: 'silent', ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    child.stdin?.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`${command} ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`),
      );
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface CapturedRun {
  code: number | null;
  /** stdout and stderr together, in the order they arrived. */
  output: string;
  ms: number;
}

/** Runs a command to its end (killing it after `timeoutMs`), with its output captured. */
export function runCaptured(
  command: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<CapturedRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}
