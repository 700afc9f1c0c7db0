import type { SerializedError } from '../errors.js';
import type { GenerationResult, Hop, ParsedGenerationRequest } from '../jobs.js';
import type { Keys } from '../keys.js';
import type { CounterIncrement } from '../metrics-counters.js';
import type { PlanStep } from '../providers/strategies.js';
import type { Redis } from '../redis.js';
import { runScript } from '../run-script.js';
import { scrubValue } from '../secrets.js';
import { decodeEvent, encodeEvent, type RequestEvent } from './request-events.js';
import {
  acceptScript,
  completeScript,
  deltaScript,
  finishScript,
  forwardScript,
  startScript,
} from './request-scripts.js';

export type RequestStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export type { PlanStep };

export interface RequestRecord {
  id: string;
  status: RequestStatus;
  /** Index of the current attempt, counted from 0 over every instance tried. */
  attempt: number;
  /** The instance whose queue holds the current attempt. */
  instance: string;
  plan: PlanStep[];
  request: ParsedGenerationRequest;
  /** Every attempt that ended, with the error each met. */
  attempts: Hop[];
  createdAt: number;
  deadlineAt: number;
  result?: GenerationResult;
  error?: SerializedError;
  finishedAt?: number;
}

/** A request's place, read even when its record's JSON is damaged (then `record` is missing). */
export interface RequestState {
  id: string;
  status: RequestStatus;
  attempt: number;
  instance: string;
  deadlineAt: number;
  record?: RequestRecord;
  /** Why the record could not be read, when it could not. */
  unreadable?: string;
}

export interface StoredEvent {
  /** Stream entry id: read on from here after a reconnect. */
  id: string;
  event: RequestEvent;
}

export function isTerminal(status: RequestStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

const maxEvents = 10_000;

/** The events of a script call: the field count, then the fields (a count of 0 when there is none). */
function eventArgs(event: RequestEvent | undefined): string[] {
  if (!event) return ['0'];
  const fields = encodeEvent(event);
  return [String(fields.length), ...fields];
}

/** A request's record (a hash) and its events (a stream), changed only together. */
export class RequestStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly recordTtlMs: number,
  ) {}

  /**
   * Accepts a request in one step: claims its idempotency key (when it has one), writes its record and
   * `queued` event, and lists it among the accepted-not-started. `accepted` false: the key was already
   * claimed, and `id` is the request that claimed it.
   */
  async accept(input: {
    id: string;
    plan: PlanStep[];
    request: ParsedGenerationRequest;
    createdAt: number;
    deadlineAt: number;
    /** How long the idempotency key is remembered. @default the record TTL */
    idempotencyTtlMs?: number;
  }): Promise<{ accepted: boolean; id: string }> {
    const { id, plan, request, createdAt, deadlineAt } = input;
    const first = plan[0]!.instance;
    const idempotencyKey = request.idempotencyKey;
    const [accepted, existing] = (await runScript(
      this.redis,
      acceptScript,
      [...this.requestKeys(id), this.keys.idempotency(idempotencyKey ?? id)],
      [
        createdAt,
        maxEvents,
        this.recordTtlMs,
        id,
        idempotencyKey ? '1' : '0',
        Math.max(1, Math.round(input.idempotencyTtlMs ?? this.recordTtlMs)),
        first,
        JSON.stringify(plan),
        JSON.stringify(request),
        createdAt,
        deadlineAt,
        this.recordTtlMs + Math.max(0, deadlineAt - createdAt),
        ...eventArgs({ type: 'queued', at: createdAt, instance: first, data: { plan } }),
      ],
    )) as [number, string | null];
    return { accepted: accepted === 1, id: existing ?? id };
  }

  async get(id: string): Promise<RequestRecord | undefined> {
    return parseRecord(await this.redis.hgetall(this.keys.request(id)));
  }

  /**
   * Where a request stands, even when its stored JSON cannot be parsed: `record` is then missing and
   * `unreadable` says why. Undefined when there is no record (expired, or never created).
   */
  async state(id: string): Promise<RequestState | undefined> {
    const fields = await this.redis.hgetall(this.keys.request(id));
    if (!fields['id']) return undefined;
    const base = {
      id,
      status: fields['status'] as RequestStatus,
      attempt: Number(fields['attempt']),
      instance: fields['instance'] ?? '',
      deadlineAt: Number(fields['deadlineAt']),
    };
    try {
      return { ...base, record: parseRecord(fields)! };
    } catch (error) {
      return { ...base, unreadable: (error as Error).message };
    }
  }

  /** Requests not yet ended, nearest deadline first, with their deadlines. */
  async open(input: { limit: number }): Promise<Array<{ id: string; deadlineAt: number }>> {
    const flat = await this.redis.zrange(this.keys.openRequests, '0', String(input.limit - 1), 'WITHSCORES');
    const open: Array<{ id: string; deadlineAt: number }> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) open.push({ id: flat[i]!, deadlineAt: Number(flat[i + 1]) });
    return open;
  }

  /** Takes a request off the open list: it ended, or its record is gone. */
  async forgetOpen(input: { id: string }): Promise<void> {
    await this.redis.zrem(this.keys.openRequests, input.id);
  }

  /**
   * Reads the request and, when `attempt` may run on `instance` now, marks it running, in one step.
   * `started` false: the attempt is stale, the request is over or past its deadline (see `record`).
   */
  async begin(input: {
    id: string;
    attempt: number;
    instance: string;
  }): Promise<{ started: boolean; record: RequestRecord | undefined }> {
    const { id, attempt, instance } = input;
    const now = Date.now();
    const [started, fields = []] = (await this.run(startScript, id, now, [
      attempt,
      instance,
      ...eventArgs({ type: 'started', at: now, instance, data: { attempt } }),
    ])) as [number, string[]?];
    const map: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i]!] = fields[i + 1]!;
    return { started: started === 1, record: parseRecord(map) };
  }

  /** Appends streamed text while the request runs; false once it no longer does. */
  async appendDelta(input: { id: string; instance: string; text: string }): Promise<boolean> {
    const now = Date.now();
    const event: RequestEvent = {
      type: 'text-delta',
      at: now,
      instance: input.instance,
      data: { text: input.text },
    };
    return (await this.run(deltaScript, input.id, now, eventArgs(event))) === 1;
  }

  /** Records the result of `attempt`; false when the request had moved on or ended. */
  async complete(input: {
    id: string;
    attempt: number;
    instance: string;
    result: GenerationResult;
    attempts: Hop[];
    /** The attempt's `/metrics` counters, raised in the same step. */
    counters?: CounterIncrement[];
  }): Promise<boolean> {
    const { id, attempt, instance, counters = [] } = input;
    const result = scrubValue(input.result);
    const attempts = scrubValue(input.attempts);
    const now = Date.now();
    const families = ['attempts', 'requests', 'latency', 'usage'] as const;
    return (
      (await runScript(
        this.redis,
        completeScript,
        [...this.requestKeys(id), ...families.map((family) => this.keys.metrics(family))],
        [
          now,
          maxEvents,
          this.recordTtlMs,
          id,
          attempt,
          JSON.stringify(result),
          JSON.stringify(attempts),
          ...eventArgs({ type: 'completed', at: now, instance, data: { result } }),
          counters.length,
          ...counters.flatMap(({ family, field, by, fractional }) => [
            5 + families.indexOf(family),
            fractional ? 'f' : 'i',
            field,
            by,
          ]),
        ],
      )) === 1
    );
  }

  /**
   * Moves the request from `attempt` on `from` to the next attempt on `to`. `reset`: text was already
   * streamed, so the reader is told to start over. `already` means a previous try of this step moved it.
   */
  async forward(input: {
    id: string;
    attempt: number;
    from: string;
    to: string;
    attempts: Hop[];
    error: { kind: SerializedError['kind']; message: string };
    delayMs?: number;
    reset: boolean;
  }): Promise<'moved' | 'already' | 'over'> {
    const { id, attempt, from, to, delayMs, reset } = input;
    const attempts = scrubValue(input.attempts);
    const error = scrubValue(input.error);
    const now = Date.now();
    const outcome = await this.run(forwardScript, id, now, [
      attempt,
      attempt + 1,
      JSON.stringify(attempts),
      to,
      ...eventArgs({
        type: 'failover',
        at: now,
        instance: from,
        data: { from, to, error, ...(delayMs ? { delayMs } : {}) },
      }),
      ...eventArgs(reset ? { type: 'reset', at: now, instance: from, data: {} } : undefined),
    ]);
    return outcome === 1 ? 'moved' : outcome === 2 ? 'already' : 'over';
  }

  /**
   * Ends the request without a result: failed (every attempt failed, its deadline passed, nothing could
   * run it) or cancelled. With `attempt`, only while the request is at that attempt; without, whatever
   * attempt it is at. False when it had already ended (or moved on).
   */
  async finish(input: {
    id: string;
    attempt?: number;
    /** The instance the failure concerns, when there is one. */
    instance?: string;
    status: 'failed' | 'cancelled';
    error: SerializedError;
    attempts: Hop[];
  }): Promise<boolean> {
    const { id, attempt, instance, status } = input;
    const error = scrubValue(input.error);
    const attempts = scrubValue(input.attempts);
    const now = Date.now();
    const outcome = await this.run(finishScript, id, now, [
      attempt ?? '',
      status,
      JSON.stringify(error),
      JSON.stringify(attempts),
      ...eventArgs({
        type: 'failed',
        at: now,
        ...(instance === undefined ? {} : { instance }),
        data: { error, attempts },
      }),
    ]);
    return outcome === 1;
  }

  /** Events after `after` (exclusive); `0` reads from the start. A malformed entry throws MalformedEventError. */
  async readEvents(input: { id: string; after?: string; count?: number }): Promise<StoredEvent[]> {
    const entries = await this.redis.xrange(
      this.keys.events(input.id),
      `(${input.after ?? '0'}`,
      '+',
      'COUNT',
      input.count ?? 1_000,
    );
    return entries.map(([entryId, fields]) => ({ id: entryId, event: decodeEvent(fields, entryId) }));
  }

  /** Ids of requests accepted before `acceptedBefore` that no attempt has started yet, oldest first. */
  async unstarted(input: { acceptedBefore: number; limit: number }): Promise<string[]> {
    return this.redis.zrangebyscore(
      this.keys.acceptedRequests,
      '-inf',
      input.acceptedBefore,
      'LIMIT',
      0,
      input.limit,
    );
  }

  /** Takes a request off the accepted-not-started list: its job is known to exist, or it is gone. */
  async forgetUnstarted(input: { id: string }): Promise<void> {
    await this.redis.zrem(this.keys.acceptedRequests, input.id);
  }

  private requestKeys(id: string): string[] {
    return [this.keys.request(id), this.keys.events(id), this.keys.acceptedRequests, this.keys.openRequests];
  }

  private run(script: string, id: string, now: number, args: Array<string | number>): Promise<unknown> {
    return runScript(this.redis, script, this.requestKeys(id), [
      now,
      maxEvents,
      this.recordTtlMs,
      id,
      ...args,
    ]);
  }
}

function parseRecord(fields: Record<string, string>): RequestRecord | undefined {
  if (!fields['id']) return undefined;
  return {
    id: fields['id'],
    status: fields['status'] as RequestStatus,
    attempt: Number(fields['attempt']),
    instance: fields['instance'] ?? '',
    plan: JSON.parse(fields['plan'] ?? '[]'),
    request: JSON.parse(fields['request'] ?? '{}'),
    attempts: JSON.parse(fields['attempts'] ?? '[]'),
    createdAt: Number(fields['createdAt']),
    deadlineAt: Number(fields['deadlineAt']),
    ...(fields['result'] ? { result: JSON.parse(fields['result']) } : {}),
    ...(fields['error'] ? { error: JSON.parse(fields['error']) } : {}),
    ...(fields['finishedAt'] ? { finishedAt: Number(fields['finishedAt']) } : {}),
  };
}
