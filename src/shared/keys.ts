/**
 * Every Redis key and BullMQ queue name Atlas uses. BullMQ rejects `:` in queue names and job ids,
 * so those use `.`; the BullMQ `prefix` option carries Atlas's prefix. To run on Redis Cluster, give a
 * prefix with a hash tag (`{atlas}`) so every key of one deployment lands in one slot.
 */

export interface Keys {
  /** The BullMQ `prefix` option. */
  readonly bullPrefix: string;
  /** Queue for generation jobs of one provider instance. */
  generationQueue(instance: string): string;
  readonly ingestionQueue: string;
  /** Queue of ingestion batches: the parent job of each batch's document jobs. */
  readonly ingestionBatchQueue: string;
  readonly agentQueue: string;
  /** Job id of attempt `attempt` of request `requestId`: deterministic, so a retried step cannot duplicate it. */
  generationJobId(requestId: string, attempt: number): string;
  /** Job id of a request's continuation: one per request, whatever its outcome. */
  continuationJobId(requestId: string): string;
  /** Hash holding a request's record (status, plan, result). */
  request(requestId: string): string;
  /** Stream of a request's events. */
  events(requestId: string): string;
  /** Sorted set of accepted requests no attempt has started yet, by acceptance time: what the sweeper repairs. */
  readonly acceptedRequests: string;
  /** Sorted set of requests not yet ended, by deadline: what the sweeper ends when their job is gone. */
  readonly openRequests: string;
  /** Pub/sub channel on which cancellations are announced. */
  readonly cancelChannel: string;
  /** Shared circuit-breaker state of one instance. */
  breaker(instance: string): string;
  /** Capped stream of breaker transitions (instance, state, at) of every instance, newest last. */
  readonly breakerTransitions: string;
  /** Hash of counters the workers keep for `/metrics`: outcomes, latency buckets, tokens and cost. */
  metrics(family: 'attempts' | 'requests' | 'latency' | 'usage'): string;
  /** Lock taken by the one worker allowed to probe a recovering instance. */
  breakerProbe(instance: string): string;
  /** Sorted set of the live workers of one instance, scored by when each heartbeat expires. */
  workers(instance: string): string;
  /** Counter behind the `round_robin` strategy, shared by every producer. */
  roundRobin(group: string): string;
  /** Lock held by the worker running the sweeper. */
  readonly sweeperLock: string;
  /** Idempotency key → request id. */
  idempotency(key: string): string;
  /** Hash of a collection's documents: document id → content hash, version and chunk count. */
  documents(collection: string): string;
  /** Lock held by the process whose turn it is to commit to a collection of the embedded store. */
  collectionWriter(collection: string): string;
  /** Hash of a workflow run: status, state checkpoint and its version, budgets, usage. */
  run(runId: string): string;
  /** List of a run's steps, one JSON entry each. */
  runHistory(runId: string): string;
  /** Stream of a run's progress events (step-start, text-delta, tool-call, step-finish, run-finished). */
  runEvents(runId: string): string;
  /** Hash of the fan-out branches of a run's current map step. */
  runBranches(runId: string): string;
  /** Set of the idempotency keys of a run's generation requests, so a cancel can reach them. */
  runRequests(runId: string): string;
  /** Set of the ids of a run's sub-runs (map branches over a workflow), so a cancel can reach them. */
  runChildren(runId: string): string;
  /** Sorted set of run ids by creation time. */
  readonly runs: string;
  /** Sorted set of run ids by when their records expire: trims `runs` so the index stays bounded. */
  readonly runExpiries: string;
  /** Job id of the agent step of run `runId` at checkpoint `version`: deterministic, so a retry adds nothing twice. */
  agentStepJobId(runId: string, version: number): string;
  /** Hash of what one agent worker serves (workflows, tools), refreshed with its heartbeat, with a TTL. */
  agentCatalog(workerId: string): string;
  /** Sorted set of live agent workers, scored by when each one's catalog expires. */
  readonly agentWorkers: string;
}

const unsafeName = /[:\s]/;

export function assertQueueSafe(name: string, what: string): void {
  if (name.length === 0 || unsafeName.test(name)) {
    throw new Error(`${what}: expected a non-empty name without ':' or spaces, got '${name}'`);
  }
}

export function createKeys(prefix: string): Keys {
  const at = (...parts: string[]) => [prefix, ...parts].join(':');
  return {
    bullPrefix: prefix,
    generationQueue: (instance) => {
      assertQueueSafe(instance, 'provider instance name');
      return `gen.${instance}`;
    },
    ingestionQueue: 'ingest',
    ingestionBatchQueue: 'ingest.batch',
    agentQueue: 'agent',
    generationJobId: (requestId, attempt) => `${requestId}.${attempt}`,
    continuationJobId: (requestId) => `${requestId}.continuation`,
    request: (requestId) => at('req', requestId),
    events: (requestId) => at('req', requestId, 'events'),
    acceptedRequests: at('accepted'),
    openRequests: at('open'),
    cancelChannel: at('cancel'),
    breaker: (instance) => at('breaker', instance),
    breakerProbe: (instance) => at('breaker', instance, 'probe'),
    breakerTransitions: at('breaker-transitions'),
    metrics: (family) => at('metrics', family),
    workers: (instance) => at('workers', instance),
    roundRobin: (group) => at('rr', group),
    sweeperLock: at('sweeper'),
    idempotency: (key) => at('idem', key),
    documents: (collection) => at('docs', collection),
    collectionWriter: (collection) => at('docs', collection, 'writer'),
    run: (runId) => at('run', runId),
    runHistory: (runId) => at('run', runId, 'history'),
    runEvents: (runId) => at('run', runId, 'events'),
    runBranches: (runId) => at('run', runId, 'branches'),
    runRequests: (runId) => at('run', runId, 'requests'),
    runChildren: (runId) => at('run', runId, 'children'),
    runs: at('runs'),
    runExpiries: at('runs', 'expiry'),
    agentStepJobId: (runId, version) => `${runId}.${version}`,
    agentCatalog: (workerId) => at('agents', 'catalog', workerId),
    agentWorkers: at('agents', 'workers'),
  };
}
