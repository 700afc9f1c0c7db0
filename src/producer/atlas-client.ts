import { randomUUID } from 'node:crypto';
import { loadSettings, type Settings } from '../shared/config/settings.js';
import { AtlasError, RequestFailedError, ValidationError } from '../shared/errors.js';
import type { GenerationEvent, GenerationRequest, GenerationResult } from '../shared/jobs.js';
import { createKeys, type Keys } from '../shared/keys.js';
import type { IngestOptions } from '../shared/knowledge/ingest-jobs.js';
import type { SearchHit } from '../shared/knowledge/vector-store.js';
import { createRedis, type Redis } from '../shared/redis.js';
import { GenerationQueues } from '../shared/requests/generation-queues.js';
import {
  isTerminal,
  type PlanStep,
  type RequestRecord,
  RequestStore,
} from '../shared/requests/request-store.js';
import { promptWithSources } from './answer-with-sources.js';
import { EventHub } from './event-hub.js';
import { IngestionClient, type SubmittedBatch } from './ingestion-client.js';
import { KnowledgeClient, type SearchRequest } from './knowledge-client.js';
import { PlanBuilder } from './plan-builder.js';
import { validateRequest } from './validate-request.js';
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
}

/** What `get` tells about a request. */
export type RequestState = Pick<
  RequestRecord,
  'id' | 'status' | 'plan' | 'hops' | 'createdAt' | 'deadlineAt' | 'result' | 'error' | 'finishedAt'
> & { instance: string };

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
  private readonly planner: PlanBuilder;
  private hub: EventHub | undefined;
  private reader: Redis | undefined;
  /** Batch ingestion: `ingest`, `wait` for a summary, `progress`. */
  readonly ingestion: IngestionClient;
  /** Search and documents of the knowledge base. */
  readonly knowledge: KnowledgeClient;
  /** Workflow runs: start, get, list, signal, cancel, replay, follow, wait. */
  readonly workflows: WorkflowsClient;

  constructor(options: AtlasClientOptions = {}) {
    this.settings = options.settings ?? loadSettings();
    this.redis = createRedis(this.settings.redis.url, { name: 'atlas-producer' });
    this.keys = createKeys(this.settings.redis.prefix);
    this.store = new RequestStore(this.redis, this.keys, this.settings.generation.recordTtlMs);
    this.queues = new GenerationQueues(this.redis, this.keys, this.settings.workers);
    this.planner = new PlanBuilder(this.settings, this.redis, this.keys, this.queues);
    this.ingestion = new IngestionClient(this.redis, this.keys);
    this.knowledge = new KnowledgeClient(this.settings, this.redis, this.keys);
    this.workflows = new WorkflowsClient(this.settings, this.redis, this.keys, (id) => this.cancel(id));
  }

  /** Enqueues a batch ingestion (one job per document under one parent); resolves once accepted. */
  ingest(sources: readonly string[], options: IngestOptions): Promise<SubmittedBatch> {
    return this.ingestion.ingest(sources, options);
  }

  /**
   * Retrieval-augmented generation: searches the collection, then generates through the queue (with
   * every failover of the generation path) and returns the answer with the chunks it was given.
   */
  async ask(
    question: string,
    options: SearchRequest & Omit<GenerationRequest, 'prompt' | 'messages' | 'system'>,
  ): Promise<GenerationResult & { citations: SearchHit[] }> {
    const { collection, mode, k, where, whereDocument, embedder, embeddingModel, ...generation } = options;
    const citations = await this.search(question, {
      collection,
      ...(mode ? { mode } : {}),
      ...(k ? { k } : {}),
      ...(where ? { where } : {}),
      ...(whereDocument ? { whereDocument } : {}),
      ...(embedder ? { embedder } : {}),
      ...(embeddingModel ? { embeddingModel } : {}),
    });
    const result = await this.generate({ ...generation, ...promptWithSources(question, citations) });
    return { ...result, citations };
  }

  /** Searches a collection: semantic, keyword or hybrid, with metadata and document-text filters. */
  search(query: string, request: SearchRequest): Promise<SearchHit[]> {
    return this.knowledge.search(query, request);
  }

  /** The routing plan a request would get now, without enqueueing it. */
  async plan(request: GenerationRequest): Promise<PlanStep[]> {
    return this.planner.build(validateRequest(request));
  }

  /** Validates and enqueues a request; resolves to its id as soon as it is accepted. */
  async submit(request: GenerationRequest): Promise<string> {
    const parsed = validateRequest(request);
    if (parsed.idempotencyKey) {
      const existing = await this.redis.get(this.keys.idempotency(parsed.idempotencyKey));
      if (existing) return existing;
    }
    const plan = await this.planner.build(parsed);
    const id = randomUUID();
    if (parsed.idempotencyKey) {
      const claimed = await this.redis.set(
        this.keys.idempotency(parsed.idempotencyKey),
        id,
        'PX',
        this.settings.generation.recordTtlMs,
        'NX',
      );
      if (claimed !== 'OK') return (await this.redis.get(this.keys.idempotency(parsed.idempotencyKey))) ?? id;
    }
    const createdAt = Date.now();
    await this.store.create({
      id,
      plan,
      request: parsed,
      createdAt,
      deadlineAt: createdAt + (parsed.deadlineMs ?? this.settings.generation.defaultDeadlineMs),
    });
    await this.queues.addHop(plan[0]!.provider, id, 0);
    return id;
  }

  /** Submits a request and resolves to its result; rejects with the request's error. */
  async generate(request: GenerationRequest): Promise<GenerationResult> {
    return this.wait(await this.submit(request));
  }

  /** Submits a streaming request (or follows an existing one) and yields its events until it ends. */
  async *stream(
    request: GenerationRequest | { requestId: string },
    options: StreamOptions = {},
  ): AsyncGenerator<StreamedEvent> {
    const requestId =
      'requestId' in request ? request.requestId : await this.submit({ ...request, stream: true });
    for await (const { id, event } of this.eventHub().follow(
      this.keys.events(requestId),
      options.after ?? '0',
    )) {
      yield { id, ...event };
      if (event.type === 'completed' || event.type === 'failed') return;
    }
  }

  async get(requestId: string): Promise<RequestState | undefined> {
    const record = await this.store.get(requestId);
    if (!record) return undefined;
    const { request: _request, hop: _hop, ...state } = record;
    return state;
  }

  /** Resolves to the result once the request completes; rejects with its error if it fails or is cancelled. */
  async wait(requestId: string, options: { timeoutMs?: number } = {}): Promise<GenerationResult> {
    const record = await this.store.get(requestId);
    if (!record) throw new ValidationError('requestId', `no request '${requestId}' (unknown, or expired)`);
    if (isTerminal(record.status)) return outcome(record);
    const timeout = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
    for await (const { event } of this.eventHub().follow(this.keys.events(requestId), '0', timeout)) {
      if (event.type === 'completed' || event.type === 'failed') break;
    }
    const finished = await this.store.get(requestId);
    if (finished && isTerminal(finished.status)) return outcome(finished);
    throw new AtlasError('timeout', `request ${requestId} did not finish within ${options.timeoutMs} ms`);
  }

  /** Cancels a request: ends its record, aborts the provider call wherever it runs, removes a waiting job. */
  async cancel(requestId: string): Promise<boolean> {
    const record = await this.store.get(requestId);
    if (!record || isTerminal(record.status)) return false;
    const error = new AtlasError('cancelled', 'cancelled by the caller').toJSON();
    const cancelled = await this.store.fail(requestId, undefined, 'client', error, record.hops, 'cancelled');
    await this.redis.publish(this.keys.cancelChannel, requestId);
    const job = await this.queues
      .get(record.instance)
      .getJob(this.keys.generationJobId(requestId, record.hop));
    // Only a job still waiting is removed; a running one is aborted by its worker on the published cancel.
    if (job && ['waiting', 'delayed', 'prioritized'].includes(await job.getState()))
      await job.remove().catch(() => undefined);
    return cancelled;
  }

  async close(): Promise<void> {
    await this.ingestion.close();
    await this.knowledge.close();
    await this.workflows.close();
    await this.hub?.close();
    this.reader?.disconnect();
    await this.queues.close();
    await this.redis.quit().catch(() => undefined);
  }

  private eventHub(): EventHub {
    if (!this.hub) {
      this.reader = createRedis(this.settings.redis.url, { role: 'blocking', name: 'atlas-producer-events' });
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
  throw new RequestFailedError(record.id, error, record.hops);
}
