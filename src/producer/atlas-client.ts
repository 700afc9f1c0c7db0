import { loadSettings, type Settings } from '../shared/config/settings.js';
import { maxTimerMs } from '../shared/config/timer.js';
import { AtlasError, RequestFailedError, ValidationError } from '../shared/errors.js';
import type { GenerationEvent, GenerationRequest, GenerationResult } from '../shared/jobs.js';
import { resultHopOf } from '../shared/jobs.js';
import { createKeys, type Keys } from '../shared/keys.js';
import { createRedis, type Redis } from '../shared/redis.js';
import { cancelRequest } from '../shared/requests/cancel-request.js';
import { ContinuationQueues } from '../shared/requests/continuations.js';
import { finishRequest } from '../shared/requests/finish-request.js';
import type { GenerationQueues } from '../shared/requests/generation-queues.js';
import { MalformedEventError } from '../shared/requests/request-events.js';
import {
  isTerminal,
  type PlanStep,
  type RequestRecord,
  RequestStore,
} from '../shared/requests/request-store.js';
import { RequestSubmitter } from '../shared/requests/request-submitter.js';
import { EventHub } from './event-hub.js';
import { KnowledgeClient } from './knowledge-client.js';
import { WorkflowsClient } from './workflows-client.js';

export interface AtlasClientOptions {
  /** @default loadSettings() */
  settings?: Settings;
}

/** An event with its stream id: pass the id back as `after` to read on from there after a reconnect. */
export type StreamedEvent = GenerationEvent & { id: string };

export interface StreamOptions {
  /** Read events after this id (exclusive). @default from the start */
  after?: string;
  /** Stops following (the request itself goes on). */
  signal?: AbortSignal;
}

/** What `get` tells about a request: where it is (`instance`), its plan, every attempt that ended, its outcome. */
export type RequestState = Omit<RequestRecord, 'request' | 'attempt'>;

/** How long `wait` keeps waiting past a request's deadline for the workers to record its end. */
const deadlineGraceMs = 2_000;

/**
 * The producer library. Requests are validated, routed (strategy, registry, the fleet's health) and
 * enqueued on the first instance of their plan; results and events are read back from Redis, so any
 * process can wait on or stream any request.
 */
export class AtlasClient {
  readonly settings: Settings;
  private readonly redis: Redis;
  private readonly keys: Keys;
  private readonly store: RequestStore;
  private readonly queues: GenerationQueues;
  private readonly continuations: ContinuationQueues;
  private readonly submitter: RequestSubmitter;
  private hub: EventHub | undefined;
  private reader: Redis | undefined;
  /** The knowledge base: `ingest`, `wait`, `progress`, `search`, `ask`, `documents`. */
  readonly knowledge: KnowledgeClient;
  /** Workflow runs: start, get, list, signal, cancel, replay, follow, wait. */
  readonly workflows: WorkflowsClient;

  constructor(options: AtlasClientOptions = {}) {
    this.settings = options.settings ?? loadSettings();
    this.redis = createRedis(this.settings.redis, { name: 'atlas-producer' });
    this.keys = createKeys(this.settings.redis.prefix);
    this.store = new RequestStore(this.redis, this.keys, this.settings.generation.recordTtlMs);
    this.submitter = new RequestSubmitter(this.settings, this.redis, this.keys, this.store);
    this.queues = this.submitter.queues;
    this.continuations = new ContinuationQueues(this.redis, this.keys, this.settings.workers);
    this.knowledge = new KnowledgeClient(this.settings, this.redis, this.keys, (request) =>
      this.generate(request),
    );
    this.workflows = new WorkflowsClient(this.settings, this.redis, this.keys, (id, reason) =>
      this.cancelWith(id, reason),
    );
  }

  /** The routing plan a request would get now, without enqueueing it. */
  async plan(request: GenerationRequest): Promise<PlanStep[]> {
    return this.submitter.plan(request);
  }

  /**
   * Validates and enqueues a request; resolves to its id as soon as it is accepted. Accepting is one
   * step (idempotency claim, record and `queued` event together), then the job is added; should the
   * process die between the two, a worker's sweeper adds the job. A request whose idempotency key was
   * already claimed resolves to the id of the request that claimed it.
   */
  async submit(request: GenerationRequest): Promise<string> {
    return this.submitter.submit(request);
  }

  /**
   * Submits a request and resolves to its result; rejects with the request's error. The result comes
   * with the `completed` event, so a request this call accepted needs no record read; any other ending
   * (failed, cancelled, past its deadline) is read from the record as `wait` does.
   */
  async generate(request: GenerationRequest): Promise<GenerationResult> {
    const { id, deadlineAt } = await this.submitter.accept(request);
    if (deadlineAt !== undefined) {
      const limit = Math.max(0, Math.min(deadlineAt + deadlineGraceMs - Date.now(), maxTimerMs));
      const ended = await this.untilEnded(id, AbortSignal.timeout(limit));
      if (ended?.type === 'completed') return ended.data.result;
    }
    return this.wait(id);
  }

  /** Submits a streaming request (or follows an existing one) and yields its events until it ends. */
  async *stream(
    request: GenerationRequest | { requestId: string },
    options: StreamOptions = {},
  ): AsyncGenerator<StreamedEvent> {
    const requestId =
      'requestId' in request ? request.requestId : await this.submit({ ...request, stream: true });
    // As `wait`: a request still open at its deadline (no worker ever took it, say) is ended then as
    // failed with a timeout, which ends this stream too.
    void this.wait(requestId).catch(() => undefined);
    for await (const { id, event } of this.eventHub().follow(
      this.keys.events(requestId),
      options.after ?? '0',
      options.signal,
    )) {
      yield { id, ...event };
      if (event.type === 'completed' || event.type === 'failed') return;
    }
  }

  async get(requestId: string): Promise<RequestState | undefined> {
    const record = await this.store.get(requestId);
    if (!record) return undefined;
    const { request: _request, attempt: _attempt, ...state } = record;
    return state;
  }

  /**
   * Resolves to the result once the request completes; rejects with its error if it fails or is
   * cancelled. Never waits past the request's deadline (and a short grace): a request still not over
   * then is ended as failed with a timeout, for every reader.
   */
  async wait(requestId: string, options: { timeoutMs?: number } = {}): Promise<GenerationResult> {
    const record = await this.store.get(requestId);
    if (!record) throw new ValidationError('requestId', `no request '${requestId}' (unknown, or expired)`);
    if (isTerminal(record.status)) return outcome(record);
    const untilDeadline = record.deadlineAt + deadlineGraceMs - Date.now();
    const byCaller = options.timeoutMs !== undefined && options.timeoutMs < untilDeadline;
    const limit = Math.max(0, Math.min(byCaller ? options.timeoutMs! : untilDeadline, maxTimerMs));
    await this.untilEnded(requestId, AbortSignal.timeout(limit));
    const finished = await this.store.get(requestId);
    if (finished && isTerminal(finished.status)) return outcome(finished);
    if (byCaller)
      throw new AtlasError('timeout', `request ${requestId} did not finish within ${options.timeoutMs} ms`);
    if (finished) {
      const error = new AtlasError('timeout', `request ${requestId} did not finish by its deadline`);
      await finishRequest(this.lifecycle(), {
        record: finished,
        status: 'failed',
        error: error.toJSON(),
        attempts: finished.attempts,
      });
    }
    const ended = await this.store.get(requestId);
    if (ended && isTerminal(ended.status)) return outcome(ended);
    throw new AtlasError('timeout', `request ${requestId} did not finish by its deadline`);
  }

  /** Cancels a request: ends its record, aborts the provider call wherever it runs, removes a waiting job. */
  cancel(requestId: string): Promise<boolean> {
    return this.cancelWith(requestId, 'cancelled by the caller');
  }

  private cancelWith(requestId: string, reason: string): Promise<boolean> {
    return cancelRequest(
      {
        redis: this.redis,
        keys: this.keys,
        store: this.store,
        continuations: this.continuations,
        queues: this.queues,
      },
      requestId,
      reason,
    );
  }

  async close(): Promise<void> {
    await this.knowledge.close();
    await this.workflows.close();
    await this.hub?.close();
    this.reader?.disconnect();
    await this.queues.close();
    await this.continuations.close();
    await this.redis.quit().catch(() => undefined);
  }

  /**
   * Follows the request's events until it ends or `signal` aborts; a malformed entry is stepped over.
   * Resolves to the terminal event, if one came.
   */
  private async untilEnded(requestId: string, signal: AbortSignal): Promise<GenerationEvent | undefined> {
    let after = '0';
    for (;;) {
      try {
        for await (const { id, event } of this.eventHub().follow(
          this.keys.events(requestId),
          after,
          signal,
        )) {
          after = id;
          if (event.type === 'completed' || event.type === 'failed') return event;
        }
        return undefined;
      } catch (error) {
        if (!(error instanceof MalformedEventError)) throw error;
        after = error.entryId;
      }
    }
  }

  private lifecycle(): { store: RequestStore; continuations: ContinuationQueues } {
    return { store: this.store, continuations: this.continuations };
  }

  private eventHub(): EventHub {
    if (!this.hub) {
      this.reader = createRedis(this.settings.redis, { role: 'blocking', name: 'atlas-producer-events' });
      this.hub = new EventHub(this.reader, this.redis);
    }
    return this.hub;
  }
}

function outcome(record: RequestRecord): GenerationResult {
  if (record.status === 'completed' && record.result) return record.result;
  const error = record.error ?? {
    kind: 'unavailable' as const,
    message: `request ${record.id} ended as ${record.status}`,
  };
  throw new RequestFailedError(record.id, error, record.attempts.map(resultHopOf));
}
