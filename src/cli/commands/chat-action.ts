import { createInterface } from 'node:readline';
import { AtlasClient } from '../../producer/atlas-client.js';
import { type StrategyName, strategyNames } from '../../shared/config/settings.js';
import { isAtlasError } from '../../shared/errors.js';
import type { GenerationRequest, Message } from '../../shared/jobs.js';
import type { WorkerFleet } from '../../workers/generation/start-workers.js';
import type { CliContext } from '../context.js';
import { flattenList } from '../list-option.js';
import { openRuntime } from '../runtime.js';
import type { ChatOptions } from './chat.js';
import { requestFromOptions, workersIfNoneServe } from './query-action.js';

const help = [
  'Type a message and press Enter. Commands:',
  '  /providers a b     route over these instances (no names: the defaults)',
  '  /strategy NAME     failover, round_robin, cost_optimized, task_aware or queue_aware',
  '  /plan              the routing plan the next message would get',
  '  /knowledge C       answer from collection C with citations (no name: off)',
  '  /clear             forget the conversation',
  '  /exit              leave (or Ctrl-C at an empty prompt; Ctrl-C during an answer cancels it)',
].join('\n');

/**
 * `atlas chat`: a conversation through the provider group on node:readline. Each message is a
 * streaming request carrying the whole conversation; answers are kept in it. Ctrl-C cancels the
 * answer in flight (the request ends `cancelled`); a second Ctrl-C, or one at an empty prompt, exits.
 */
export async function runChat(options: ChatOptions, context: CliContext): Promise<void> {
  // The same checks as `atlas query` (strategy name, numbers), on a placeholder prompt.
  const base = requestFromOptions({ query: '-', ...options });
  let providers = flattenList(options.providers);
  let strategy = base.strategy;
  let knowledge = options.knowledge;
  let messages: Message[] = [];

  const runtime = await openRuntime({ startRedisIfMissing: true, context });
  const client = new AtlasClient({ settings: runtime.settings });
  const fleets: WorkerFleet[] = [];
  const served = new Set<string>();
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: 'you> ' });

  const request = (text: string): GenerationRequest => ({
    messages: [...messages, { role: 'user', content: text }],
    ...(options.system ? { system: options.system } : {}),
    ...(providers ? { providers } : {}),
    ...(strategy ? { strategy } : {}),
    ...(base.maxTokens ? { maxTokens: base.maxTokens } : {}),
  });
  /** Workers in this process for the instances of a plan that no live worker serves. */
  const ensureWorkers = async (instances: string[]) => {
    const missing = [...new Set(instances)].filter((instance) => !served.has(instance));
    if (missing.length === 0) return;
    for (const instance of missing) served.add(instance);
    const fleet = await workersIfNoneServe(runtime.settings, missing, runtime.log, context);
    if (fleet) fleets.push(fleet);
  };

  /** True from Enter until the answer ends; `inFlight` is the request once submitted. */
  let busy = false;
  let inFlight: string | undefined;
  let cancelled = false;
  let lastInterrupt = 0;
  let closed = false;
  let leaving = false;
  const finished = new Promise<void>((resolve) => rl.once('close', resolve));
  rl.on('close', () => {
    closed = true;
  });
  rl.on('SIGINT', () => {
    const now = Date.now();
    if (busy && !cancelled) {
      // Before the request is submitted, the cancel waits for its id.
      cancelled = true;
      lastInterrupt = now;
      if (inFlight)
        client.cancel(inFlight).catch((error: unknown) => {
          say(`error: could not cancel: ${error instanceof Error ? error.message : String(error)}`);
        });
      return;
    }
    if (rl.line === '' || now - lastInterrupt < 2_000) {
      rl.close();
      return;
    }
    lastInterrupt = now;
    // Ctrl-C with text typed: clear the line, as a shell does.
    rl.write(null, { ctrl: true, name: 'u' });
    context.write('\n');
    rl.prompt();
  });

  const say = (line = '') => context.print(line);
  const commands: Record<string, (args: string[]) => Promise<void> | void> = {
    providers: (args) => {
      const named = args.length ? flattenList(args) : undefined;
      const unknown = named?.filter((name) => !(name in runtime.settings.providers)) ?? [];
      if (unknown.length > 0) {
        say(
          `unknown provider instance ${unknown.map((name) => `'${name}'`).join(', ')}; configured: ${Object.keys(runtime.settings.providers).join(', ')}`,
        );
        return;
      }
      providers = named;
      say(`providers: ${providers?.join(', ') ?? `(default: ${runtime.settings.providerOrder.join(', ')})`}`);
    },
    strategy: (args) => {
      const name = args[0];
      if (!name || !(strategyNames as readonly string[]).includes(name)) {
        say(`expected one of ${strategyNames.join(', ')}`);
        return;
      }
      strategy = name as StrategyName;
      say(`strategy: ${strategy}`);
    },
    plan: async () => {
      const last = messages.filter((message) => message.role === 'user').at(-1)?.content ?? 'Hello';
      const plan = await client.plan(request(last));
      for (const [index, step] of plan.entries()) say(`${index + 1}. ${step.instance} (${step.model})`);
    },
    knowledge: (args) => {
      knowledge = args[0];
      say(knowledge ? `answering from '${knowledge}', with citations` : 'knowledge off');
    },
    clear: () => {
      messages = [];
      say('conversation cleared');
    },
    exit: () => {
      // Piped lines after /exit are already read: they are left unanswered.
      leaving = true;
      rl.close();
    },
    help: () => say(help),
  };

  const answer = async (text: string) => {
    cancelled = false;
    const next = request(text);
    const plan = await client.plan(next);
    await ensureWorkers(plan.map((step) => step.instance));
    if (knowledge) {
      const { messages: _messages, ...generation } = next;
      const result = await client.knowledge.ask(text, { ...generation, collection: knowledge });
      say(result.text);
      for (const [index, hit] of result.citations.entries())
        say(`  [${index + 1}] ${hit.metadata['source'] ?? hit.documentId} #${hit.chunkIndex}`);
      messages.push({ role: 'user', content: text }, { role: 'assistant', content: result.text });
      return;
    }
    inFlight = await client.submit({ ...next, stream: true });
    if (cancelled) await client.cancel(inFlight);
    let reply = '';
    try {
      for await (const event of client.stream({ requestId: inFlight })) {
        if (event.type === 'text-delta') {
          reply += event.data.text;
          context.write(event.data.text);
        } else if (event.type === 'reset') {
          reply = '';
          context.write('\n[provider changed; starting over]\n');
        } else if (event.type === 'completed') {
          context.write('\n');
          context.warn(`— ${event.data.result.provider} (${event.data.result.model})`);
          messages.push({ role: 'user', content: text }, { role: 'assistant', content: reply });
        } else if (event.type === 'failed') {
          context.write('\n');
          say(
            event.data.error.kind === 'cancelled' ? '[cancelled]' : `[failed: ${event.data.error.message}]`,
          );
        }
      }
    } finally {
      inFlight = undefined;
    }
  };

  say(`atlas chat: ${runtime.settings.redis.url}; /help for commands, Ctrl-C twice to leave`);
  rl.prompt();
  const handle = async (text: string) => {
    if (leaving) return;
    busy = true;
    const [command, ...args] = text.startsWith('/') ? text.slice(1).split(/\s+/) : [];
    const run = command !== undefined ? commands[command] : undefined;
    try {
      if (command === undefined) await answer(text);
      else if (run) await run(args);
      else say(`unknown command /${command}; /help lists them`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      say(`error: ${isAtlasError(error) ? `${message} [${error.kind}]` : message}`);
    } finally {
      busy = false;
      if (!closed) rl.prompt();
    }
  };
  // Typed at a terminal, a line that comes while an answer streams is dropped (input stays read so
  // Ctrl-C reaches us); piped in, every line is a turn, taken in order.
  const interactive = Boolean(process.stdin.isTTY);
  let turns = Promise.resolve();
  rl.on('line', (line) => {
    const text = line.trim();
    if (busy && interactive) return;
    if (!text) {
      if (!busy) rl.prompt();
      return;
    }
    turns = turns.then(() => handle(text));
  });

  await finished;
  // Leaving a terminal cancels the answer being streamed; piped input ends once its last turn has.
  // Neither may fail on a Redis that went away: the request ends by its deadline anyway.
  if (interactive && inFlight) await client.cancel(inFlight).catch(() => undefined);
  await turns;
  await client.close();
  for (const fleet of fleets) await fleet.close();
  await runtime.close();
}
