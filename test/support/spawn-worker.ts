import { type ChildProcess, spawn } from 'node:child_process';
import type { Settings } from '../../src/shared/config/settings.js';

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

/** Starts a worker script (generation workers by default) in a child process and resolves once it serves. */
export function spawnWorker(
  settings: Settings,
  instances: string[],
  extraEnv: Record<string, string> = {},
  script = 'test/support/worker-process.ts',
): Promise<WorkerProcess> {
  return spawnUntilReady(
    [script],
    {
      ...extraEnv,
      ATLAS_TEST_SETTINGS: JSON.stringify(settings),
      ATLAS_TEST_INSTANCES: instances.join(','),
    },
    'ready',
  );
}

/** Runs `atlas worker …` from source in a child process and resolves once it says what it serves. */
export function spawnCliWorker(args: string[], env: Record<string, string>): Promise<WorkerProcess> {
  return spawnUntilReady(['src/cli/main.ts', 'worker', ...args], env, ': serving ');
}

async function spawnUntilReady(
  args: string[],
  env: Record<string, string>,
  readyText: string,
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker process did not start:\n${output}`)), 20_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(readyText)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited with ${code}:\n${output}`));
    });
  });
  await ready;
  return {
    child,
    output: () => output,
    exited,
    kill: (signal = 'SIGKILL') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
