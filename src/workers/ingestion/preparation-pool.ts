import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { Prepared, PrepareTask } from './prepare-document.js';

/**
 * Worker threads that read, parse and chunk documents, so a big PDF does not stall the event loop that
 * renews job locks and answers Redis. From source (tests, tsx) the thread loads the TypeScript module
 * through tsx; from the build, the compiled one.
 */
export class PreparationPool {
  private readonly pool: Piscina<PrepareTask, Prepared>;

  constructor(threads = Math.max(1, availableParallelism() - 1)) {
    const fromSource = import.meta.url.endsWith('.ts');
    this.pool = new Piscina({
      filename: new URL(`./prepare-document.${fromSource ? 'ts' : 'js'}`, import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      ...(fromSource ? { execArgv: ['--import', 'tsx'] } : {}),
    });
  }

  prepare(task: PrepareTask): Promise<Prepared> {
    return this.pool.run(task);
  }

  /** Tasks its threads have finished. */
  get completed(): number {
    return this.pool.completed;
  }

  close(): Promise<void> {
    return this.pool.close({ force: true });
  }
}
