import type { Redis } from 'ioredis';
import type { SerializedError } from '../errors.js';
import type { GenerationEvent, GenerationResult, Hop, ParsedGenerationRequest } from '../jobs.js';
import type { Keys } from '../keys.js';
import type { PlanStep } from '../providers/strategies.js';
import { runScript } from '../run-script.js';
import { completeScript, deltaScript, failScript, forwardScript, startScript } from './request-scripts.js';

export type RequestStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export type { PlanStep };

export interface RequestRecord {
  id: string;
  status: RequestStatus;
  /** Attempt number, counted from 0 over every instance tried. */
  hop: number;
  /** The instance whose queue holds the current attempt. */
  instance: string;
  plan: PlanStep[];
  request: ParsedGenerationRequest;
  hops: Hop[];
  createdAt: number;
  deadlineAt: number;
  provider?: string;
  result?: GenerationResult;
  error?: SerializedError;
  finishedAt?: number;
}

export interface StoredEvent {
  /** Stream entry id: read on from here after a reconnect. */
  id: string;
  event: GenerationEvent;
}

export function isTerminal(status: RequestStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

const maxEvents = 10_000;

/** A request's record (a hash) and its events (a stream), changed only together. */
export class RequestStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly recordTtlMs: number,
  ) {}

  async create(record: Omit<RequestRecord, 'status' | 'hop' | 'hops' | 'instance'>): Promise<void> {
    const key = this.keys.request(record.id);
    const events = this.keys.events(record.id);
    const now = Date.now();
    await this.redis
      .multi()
      .hset(key, {
        id: record.id,
        status: 'queued',
        hop: '0',
        instance: record.plan[0]!.provider,
        plan: JSON.stringify(record.plan),
        request: JSON.stringify(record.request),
        hops: '[]',
        createdAt: String(record.createdAt),
        deadlineAt: String(record.deadlineAt),
      })
      .xadd(
        events,
        'MAXLEN',
        '~',
        maxEvents,
        '*',
        'type',
        'queued',
        'at',
        String(now),
        'provider',
        record.plan[0]!.provider,
        'data',
        JSON.stringify({ plan: record.plan }),
      )
      // Unfinished records expire too, so a request abandoned by every process cannot leak memory.
      .pexpire(key, this.recordTtlMs + (record.deadlineAt - now))
      .pexpire(events, this.recordTtlMs + (record.deadlineAt - now))
      .exec();
  }

  async get(id: string): Promise<RequestRecord | undefined> {
    return parseRecord(await this.redis.hgetall(this.keys.request(id)));
  }

  /**
   * Reads the request and, when hop `hop` may run on `provider` now, marks it running, in one step.
   * `started` false: the hop is stale, the request is over or past its deadline (see `record`).
   */
  async begin(
    id: string,
    hop: number,
    provider: string,
  ): Promise<{ started: boolean; record: RequestRecord | undefined }> {
    const [started, fields = []] = (await this.run(startScript, id, [hop, provider])) as [number, string[]?];
    const map: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i]!] = fields[i + 1]!;
    return { started: started === 1, record: parseRecord(map) };
  }

  async appendDelta(id: string, provider: string, text: string): Promise<boolean> {
    return (await this.run(deltaScript, id, [provider, text])) === 1;
  }

  async complete(id: string, hop: number, provider: string, result: GenerationResult): Promise<boolean> {
    return (
      (await this.run(completeScript, id, [
        hop,
        provider,
        JSON.stringify(result),
        JSON.stringify(result.hops),
      ])) === 1
    );
  }

  /** Moves the request from `hop` to `nextHop`. `already` means a previous try of this step moved it. */
  async forward(
    id: string,
    hop: number,
    provider: string,
    nextHop: number,
    nextInstance: string,
    hops: Hop[],
    event: Record<string, unknown>,
    reset: boolean,
  ): Promise<'moved' | 'already' | 'over'> {
    const outcome = await this.run(forwardScript, id, [
      hop,
      provider,
      nextHop,
      JSON.stringify(hops),
      JSON.stringify(event),
      reset ? '1' : '0',
      nextInstance,
    ]);
    return outcome === 1 ? 'moved' : outcome === 2 ? 'already' : 'over';
  }

  /** Ends the request as failed (or cancelled). `hop` undefined ends it whatever hop it is at. */
  async fail(
    id: string,
    hop: number | undefined,
    provider: string,
    error: SerializedError,
    hops: Hop[],
    status: 'failed' | 'cancelled' = 'failed',
  ): Promise<boolean> {
    const outcome = await this.run(failScript, id, [
      hop ?? '',
      provider,
      JSON.stringify(error),
      JSON.stringify(hops),
      status,
    ]);
    return outcome === 1;
  }

  /** Events after `afterId` (exclusive); `0` reads from the start. */
  async readEvents(id: string, afterId = '0', count = 1_000): Promise<StoredEvent[]> {
    const entries = await this.redis.xrange(this.keys.events(id), `(${afterId}`, '+', 'COUNT', count);
    return entries.map(([entryId, fields]) => ({ id: entryId, event: parseEventFields(fields) }));
  }

  private run(script: string, id: string, args: Array<string | number>): Promise<unknown> {
    return runScript(
      this.redis,
      script,
      [this.keys.request(id), this.keys.events(id)],
      [Date.now(), maxEvents, this.recordTtlMs, ...args],
    );
  }
}

function parseRecord(fields: Record<string, string>): RequestRecord | undefined {
  if (!fields['id']) return undefined;
  return {
    id: fields['id'],
    status: fields['status'] as RequestStatus,
    hop: Number(fields['hop']),
    instance: fields['instance'] ?? '',
    plan: JSON.parse(fields['plan'] ?? '[]'),
    request: JSON.parse(fields['request'] ?? '{}'),
    hops: JSON.parse(fields['hops'] ?? '[]'),
    createdAt: Number(fields['createdAt']),
    deadlineAt: Number(fields['deadlineAt']),
    ...(fields['provider'] ? { provider: fields['provider'] } : {}),
    ...(fields['result'] ? { result: JSON.parse(fields['result']) } : {}),
    ...(fields['error'] ? { error: JSON.parse(fields['error']) } : {}),
    ...(fields['finishedAt'] ? { finishedAt: Number(fields['finishedAt']) } : {}),
  };
}

export function parseEventFields(fields: string[]): GenerationEvent {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i]!] = fields[i + 1]!;
  const type = map['type'] as GenerationEvent['type'];
  const data = type === 'text-delta' ? { text: map['data'] ?? '' } : JSON.parse(map['data'] ?? 'null');
  return { type, at: Number(map['at']), ...(map['provider'] ? { provider: map['provider'] } : {}), data };
}
