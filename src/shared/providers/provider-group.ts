import CircuitBreaker from 'opossum';
import type { ProviderInstanceSettings } from '../config/provider-settings.js';
import type { StrategyName } from '../config/settings.js';
import { AtlasError, isAtlasError, toAtlasError } from '../errors.js';
import { builtInCatalogue, findModel, type ModelInfo } from './catalogue.js';
import type {
  EmbedOptions,
  EmbedResult,
  HealthReport,
  Provider,
  ProviderRequest,
  ProviderResponse,
  StreamPart,
} from './provider.js';
import { type Candidate, planRoute, type RouteContext } from './strategies.js';

export interface ProviderGroupOptions {
  /** Name of the group as a provider. @default 'group' */
  name?: string;
  /** @default 'failover' */
  strategy?: StrategyName;
  /** Breaker settings per member, by member name; members without an entry use `breaker`. */
  breakers?: Record<string, Partial<ProviderInstanceSettings['breaker']>>;
  breaker?: Partial<ProviderInstanceSettings['breaker']>;
  catalogue?: readonly ModelInfo[];
}

export interface MemberState {
  name: string;
  state: 'closed' | 'open' | 'half-open';
}

type Call = () => Promise<unknown>;

/**
 * Several providers acting as one, in-process, for users without Redis: each call goes to the members
 * in the strategy's order, each member behind its own opossum breaker, failing over on errors that are
 * about the member and stopping on errors that are about the request. The distributed group (queues,
 * fleet-wide breakers) is the generation path; this is the seed's ProviderGroup.
 */
export class ProviderGroup implements Provider {
  readonly name: string;
  readonly type: Provider['type'];
  readonly defaultModel: string;
  private readonly members: Provider[];
  private readonly breakers = new Map<string, CircuitBreaker<[Call], unknown>>();
  private readonly strategy: StrategyName;
  private readonly catalogue: readonly ModelInfo[];
  private rotation = 0;

  constructor(members: Provider[], options: ProviderGroupOptions = {}) {
    if (members.length === 0)
      throw new AtlasError('invalid_request', 'ProviderGroup: expected at least one provider');
    this.members = members;
    this.name = options.name ?? 'group';
    this.type = members[0]!.type;
    this.defaultModel = members[0]!.defaultModel;
    this.strategy = options.strategy ?? 'failover';
    this.catalogue = options.catalogue ?? builtInCatalogue;
    for (const member of members) {
      const settings = { ...options.breaker, ...options.breakers?.[member.name] };
      this.breakers.set(
        member.name,
        new CircuitBreaker((call: Call) => call(), {
          errorThresholdPercentage: settings.errorThresholdPercentage ?? 50,
          volumeThreshold: settings.volumeThreshold ?? 5,
          resetTimeout: settings.resetTimeoutMs ?? 10_000,
          rollingCountTimeout: settings.rollingCountTimeoutMs ?? 1_000,
          timeout: false,
          errorFilter: (error: unknown) => !(isAtlasError(error) && error.countsAgainstBreaker),
        }),
      );
    }
  }

  async generate(request: ProviderRequest, signal?: AbortSignal): Promise<ProviderResponse> {
    const failures: AtlasError[] = [];
    for (const member of this.order(request)) {
      try {
        return (await this.breakers
          .get(member.name)!
          .fire(() => member.generate(this.forMember(request, member), signal))) as ProviderResponse;
      } catch (error) {
        this.keepOrStop(error, member, failures);
      }
    }
    throw this.exhausted(failures);
  }

  async *stream(request: ProviderRequest, signal?: AbortSignal): AsyncIterable<StreamPart> {
    const failures: AtlasError[] = [];
    for (const member of this.order(request)) {
      const breaker = this.breakers.get(member.name)!;
      let yielded = false;
      const parts: StreamPart[] = [];
      let wake: (() => void) | undefined;
      let ended = false;
      let failure: unknown;
      // The breaker sees the whole stream as one call, so a stream that breaks half-way counts too.
      const running = breaker
        .fire(async () => {
          for await (const part of member.stream(this.forMember(request, member), signal)) {
            parts.push(part);
            wake?.();
          }
        })
        .catch((error: unknown) => {
          failure = error;
        })
        .finally(() => {
          ended = true;
          wake?.();
        });
      while (true) {
        const part = parts.shift();
        if (part) {
          yielded = true;
          yield part;
          continue;
        }
        if (ended) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
      await running;
      if (failure === undefined) return;
      // After the first part the caller has text from this member: failing over would mix two answers.
      if (yielded) throw toAtlasError(failure, member.name);
      this.keepOrStop(failure, member, failures);
    }
    throw this.exhausted(failures);
  }

  async embed(texts: string[], options: EmbedOptions = {}): Promise<EmbedResult> {
    const failures: AtlasError[] = [];
    for (const member of this.members.filter((candidate) => candidate.embed)) {
      try {
        return (await this.breakers
          .get(member.name)!
          .fire(() => member.embed!(texts, options))) as EmbedResult;
      } catch (error) {
        this.keepOrStop(error, member, failures);
      }
    }
    throw this.exhausted(failures);
  }

  async checkHealth(signal?: AbortSignal): Promise<HealthReport> {
    const reports = await Promise.all(this.members.map((member) => member.checkHealth(signal)));
    const healthy = reports.find((report) => report.ok);
    return healthy ?? reports[0]!;
  }

  breakerStates(): MemberState[] {
    return this.members.map((member) => {
      const breaker = this.breakers.get(member.name)!;
      return {
        name: member.name,
        state: breaker.opened ? 'open' : breaker.halfOpen ? 'half-open' : 'closed',
      };
    });
  }

  close(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
  }

  private order(request: ProviderRequest): Provider[] {
    const candidates: Candidate[] = this.members.map((member) => {
      const model = request.model ?? member.defaultModel;
      return { provider: member.name, type: member.type, model, info: findModel(this.catalogue, model) };
    });
    const lastUser = request.messages.filter((message) => message.role === 'user').at(-1);
    const context: RouteContext = {
      prompt: lastUser?.content ?? '',
      ...(request.maxTokens ? { maxTokens: request.maxTokens } : {}),
    };
    const plan = planRoute({
      candidates,
      strategy: this.strategy,
      context,
      roundRobinIndex: this.rotation++,
    });
    return plan.map((step) => this.members.find((member) => member.name === step.instance)!);
  }

  /** A model named for the group goes only to members of the type it belongs to; the others use theirs. */
  private forMember(request: ProviderRequest, member: Provider): ProviderRequest {
    if (
      !request.model ||
      member.type === this.type ||
      findModel(this.catalogue, request.model)?.providerType === member.type
    ) {
      return request;
    }
    const { model: _model, ...rest } = request;
    return rest;
  }

  private keepOrStop(error: unknown, member: Provider, failures: AtlasError[]): void {
    if ((error as { code?: string }).code === 'EOPENBREAKER') {
      failures.push(
        new AtlasError('circuit_open', `${member.name}: circuit breaker open`, { provider: member.name }),
      );
      return;
    }
    const failure = toAtlasError(error, member.name);
    if (failure.action() === 'fail') throw failure;
    failures.push(failure);
  }

  private exhausted(failures: AtlasError[]): AtlasError {
    const last = failures.at(-1);
    const list = failures
      .map((failure) => `${failure.provider ?? '?'}: ${failure.kind} (${failure.message})`)
      .join('; ');
    return new AtlasError(last?.kind ?? 'unavailable', `${this.name}: every provider failed: ${list}`, {
      ...(last?.provider ? { provider: last.provider } : {}),
    });
  }
}
