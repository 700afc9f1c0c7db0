import { nodeFor, type Redis } from '../shared/redis.js';
import { decodeEvent, MalformedEventError } from '../shared/requests/request-events.js';
import type { StoredEvent } from '../shared/requests/request-store.js';
import { within } from '../shared/within.js';

interface Subscription {
  key: string;
  lastId: string;
  /** Events read ahead; a malformed entry sits here as its error, thrown to the consumer in its turn. */
  buffer: Array<StoredEvent | MalformedEventError>;
  wake: (() => void) | undefined;
  /** Left out of reads because its reader fell behind. */
  paused: boolean;
  closed: boolean;
}

/** How long closing waits for the reader to be interrupted, then for its loop to end. */
const closeBoundMs = 2_000;

/** Entries a subscription may hold unread before it stops reading ahead; Redis keeps the rest. */
const readAhead = 256;

/**
 * Follows many request event streams over one blocking connection: one XREAD covers every stream
 * being read. When a subscription starts, the blocked XREAD is interrupted (CLIENT UNBLOCK) so the
 * new stream joins at once instead of at the next timeout.
 */
export class EventHub {
  private readonly subscriptions = new Set<Subscription>();
  private readerId: number | undefined;
  /** A key the reader reads: on a Cluster it says which node the reader blocks on. */
  private readerKey: string | undefined;
  /** The single-node connection whose `CLIENT ID` is `readerId`. */
  private readerNode: Redis | undefined;
  private running: Promise<void> | undefined;
  private idle: (() => void) | undefined;
  private closed = false;
  /** Bumped whenever the set of streams to read changes. */
  private version = 0;
  /** The version the XREAD in flight was built from; undefined when none is in flight. */
  private readingVersion: number | undefined;
  /** One interrupt for every stream that starts in the same turn of the event loop. */
  private joining: Promise<void> | undefined;

  constructor(
    private readonly reader: Redis,
    private readonly commands: Redis,
  ) {}

  /**
   * Events of one stream after `afterId` (exclusive), as they arrive, until the caller stops or `signal`
   * aborts. An entry that is not a request event ends the iteration with a MalformedEventError naming it;
   * reading on after its id skips it.
   */
  async *follow(key: string, afterId = '0', signal?: AbortSignal): AsyncGenerator<StoredEvent> {
    const subscription: Subscription = {
      key,
      lastId: afterId,
      buffer: [],
      wake: undefined,
      paused: false,
      closed: false,
    };
    this.subscriptions.add(subscription);
    const onAbort = () => subscription.wake?.();
    signal?.addEventListener('abort', onAbort);
    this.start();
    await this.join();
    try {
      while (!this.closed && !signal?.aborted) {
        const next = subscription.buffer.shift();
        if (next instanceof MalformedEventError) throw next;
        if (next) {
          yield next;
          continue;
        }
        if (subscription.paused) {
          // The consumer caught up after a pause: bring its stream back into the reads.
          subscription.paused = false;
          await this.interrupt();
          continue;
        }
        await new Promise<void>((resolve) => {
          subscription.wake = resolve;
        });
        subscription.wake = undefined;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      subscription.closed = true;
      this.subscriptions.delete(subscription);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const subscription of this.subscriptions) subscription.wake?.();
    this.idle?.();
    // With Redis unreachable neither an interrupt nor the XREAD in flight settles (the reader retries
    // for ever): the owner disconnects the reader, and the loop, once woken, sees `closed` and stops.
    if (this.reader.status !== 'ready') return;
    await within(this.interrupt(), closeBoundMs);
    await within(this.running ?? Promise.resolve(), closeBoundMs);
  }

  /**
   * Interrupts the XREAD once for all the streams that start in this turn (many requests are sent at
   * once under load), rather than once per stream.
   */
  private join(): Promise<void> {
    this.joining ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.joining = undefined;
      return this.interrupt();
    });
    return this.joining;
  }

  private start(): void {
    this.running ??= this.loop();
  }

  /**
   * Makes the reader pick up a changed set of streams. CLIENT UNBLOCK travels on another connection,
   * so it can reach Redis before the XREAD it means to end; it is repeated until the XREAD in flight
   * was built from the current set, or none is in flight.
   */
  private async interrupt(): Promise<void> {
    const target = ++this.version;
    this.idle?.();
    // Bounded: a reader whose connection is down cannot be unblocked, and its XREAD fails on its own.
    for (let attempt = 0; attempt < 1_000; attempt++) {
      if (this.readerId === undefined || this.readingVersion === undefined || this.readingVersion >= target)
        return;
      const node = this.readerKey === undefined ? undefined : nodeFor(this.commands, this.readerKey);
      const unblocked = node ? await node.client('UNBLOCK', this.readerId).catch(() => 0) : 0;
      if (unblocked === 1) return;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      const active: Subscription[] = [];
      for (const subscription of this.subscriptions) {
        subscription.paused = subscription.buffer.length >= readAhead;
        if (!subscription.paused) active.push(subscription);
      }
      if (active.length === 0) {
        await new Promise<void>((resolve) => {
          this.idle = resolve;
        });
        this.idle = undefined;
        continue;
      }
      let reply: Array<[string, Array<[string, string[]]>]> | null;
      this.readingVersion = this.version;
      try {
        // One node serves every stream (a Cluster prefix is hash-tagged): learn which connection the
        // XREAD will block on, so an interrupt can reach it.
        const node = nodeFor(this.reader, active[0]!.key);
        if (node !== this.readerNode) {
          this.readerId = node ? Number(await node.client('ID')) : undefined;
          this.readerNode = node;
        }
        this.readerKey = active[0]!.key;
        reply = (await this.reader.xread(
          'COUNT',
          readAhead,
          'BLOCK',
          5_000,
          'STREAMS',
          ...active.map((subscription) => subscription.key),
          ...active.map((subscription) => subscription.lastId),
        )) as typeof reply;
      } catch {
        // Redis restarting: the connection retries; pause briefly rather than spin. The connection
        // that comes back has another id.
        this.readingVersion = undefined;
        this.readerNode = undefined;
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      this.readingVersion = undefined;
      for (const [key, entries] of reply ?? []) {
        for (const subscription of active) {
          if (subscription.key !== key || subscription.closed) continue;
          for (const [id, fields] of entries) {
            // Two followers of one stream put it in the XREAD twice: each entry comes once per follower.
            if (!isAfter(id, subscription.lastId)) continue;
            subscription.buffer.push(decoded(id, fields));
            subscription.lastId = id;
          }
          subscription.wake?.();
        }
      }
    }
  }
}

function decoded(id: string, fields: string[]): StoredEvent | MalformedEventError {
  try {
    return { id, event: decodeEvent(fields, id) };
  } catch (error) {
    if (error instanceof MalformedEventError) return error;
    throw error;
  }
}

/** Whether stream entry id `id` (`<ms>-<seq>`) comes after `lastId` (`0` for the start). */
function isAfter(id: string, lastId: string): boolean {
  try {
    const [ms = 0n, seq = 0n] = id.split('-').map(BigInt);
    const [lastMs = 0n, lastSeq = 0n] = lastId.split('-').map(BigInt);
    return ms > lastMs || (ms === lastMs && seq > lastSeq);
  } catch {
    // Not a stream id (Redis refused it already, then): nothing to compare, keep the entry.
    return true;
  }
}
