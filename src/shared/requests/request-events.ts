import * as z from 'zod';
import { errorKinds } from '../errors.js';
import { generationResultSchema, hopSchema } from '../jobs.js';
import { zodIssueError } from '../parse-with.js';

/**
 * The events of a request, one stream entry each. Every event has a `type`, the time it was written
 * (`at`, ms), the instance it concerns when there is one, and `data` whose shape the type decides.
 * Entries are written only by the request scripts, from fields `encodeEvent` made.
 */

const serializedErrorSchema = z.object({
  kind: z.enum(errorKinds),
  message: z.string(),
  provider: z.string().optional(),
  status: z.number().optional(),
  retryAfterMs: z.number().optional(),
});

export const planStepSchema = z.object({ instance: z.string(), model: z.string() });

const base = { at: z.number(), instance: z.string().optional() };

export const requestEventSchema = z.discriminatedUnion('type', [
  /** Accepted, with its routing plan. */
  z.object({ type: z.literal('queued'), ...base, data: z.object({ plan: z.array(planStepSchema) }) }),
  /** Attempt `attempt` (0 first) started on `instance`. */
  z.object({ type: z.literal('started'), ...base, data: z.object({ attempt: z.number().int().min(0) }) }),
  /** Text streamed by the instance running the request. */
  z.object({ type: z.literal('text-delta'), ...base, data: z.object({ text: z.string() }) }),
  /** The attempt on `from` failed; the request moves to `to`, after `delayMs` when every instance is down. */
  z.object({
    type: z.literal('failover'),
    ...base,
    data: z.object({
      from: z.string(),
      to: z.string(),
      error: z.object({ kind: z.enum(errorKinds), message: z.string() }),
      delayMs: z.number().min(0).optional(),
    }),
  }),
  /** Text already streamed is void: a new attempt starts the answer over. */
  z.object({ type: z.literal('reset'), ...base, data: z.object({}) }),
  z.object({ type: z.literal('completed'), ...base, data: z.object({ result: generationResultSchema }) }),
  /** Failed or cancelled: the error, and every attempt made. */
  z.object({
    type: z.literal('failed'),
    ...base,
    data: z.object({ error: serializedErrorSchema, attempts: z.array(hopSchema) }),
  }),
]);

export type RequestEvent = z.infer<typeof requestEventSchema>;
/** The public name of a request event. */
export type GenerationEvent = RequestEvent;
export type RequestEventType = RequestEvent['type'];
export type RequestEventOf<T extends RequestEventType> = Extract<RequestEvent, { type: T }>;

export const requestEventTypes = requestEventSchema.options.map(
  (option) => option.shape.type.value,
) as RequestEventType[];

/** A stream entry that is not a request event; names the entry and the field that is wrong. */
export class MalformedEventError extends Error {
  readonly entryId: string;
  readonly field: string;

  constructor(entryId: string, field: string, problem: string) {
    super(`malformed request event ${entryId}: ${field}: ${problem}`);
    this.name = 'MalformedEventError';
    this.entryId = entryId;
    this.field = field;
  }
}

/** The stream entry fields of an event, in the order the scripts write them. */
export function encodeEvent(event: RequestEvent): string[] {
  return [
    'type',
    event.type,
    'at',
    String(event.at),
    ...(event.instance === undefined ? [] : ['instance', event.instance]),
    'data',
    JSON.stringify(event.data),
  ];
}

/** Reads a stream entry back into an event; throws MalformedEventError naming the entry and field. */
export function decodeEvent(fields: readonly string[], entryId = '?'): RequestEvent {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  const type = map.get('type');
  if (type === undefined || !(requestEventTypes as string[]).includes(type))
    throw new MalformedEventError(
      entryId,
      'event.type',
      `expected one of ${requestEventTypes.join(', ')}, got ${JSON.stringify(type ?? null)}`,
    );
  let data: unknown;
  try {
    data = JSON.parse(map.get('data') ?? '');
  } catch {
    throw new MalformedEventError(
      entryId,
      'event.data',
      `expected JSON, got ${JSON.stringify(map.get('data'))}`,
    );
  }
  const candidate = {
    type,
    at: Number(map.get('at')),
    ...(map.has('instance') ? { instance: map.get('instance') } : {}),
    data,
  };
  const parsed = requestEventSchema.safeParse(candidate);
  if (parsed.success) return parsed.data;
  const issue = zodIssueError(parsed.error, 'event');
  throw new MalformedEventError(entryId, issue.field, issue.message.slice(issue.field.length + 2));
}
