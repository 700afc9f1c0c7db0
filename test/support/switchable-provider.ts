import { AtlasError, type ErrorKind } from '../../src/shared/errors.js';
import type { Provider, ProviderRequest, StreamPart } from '../../src/shared/providers/provider.js';

/** Wraps a provider so a test can take the instance down (every call fails with `kind`) and bring it back. */
export class SwitchableProvider implements Provider {
  readonly name: string;
  readonly type: Provider['type'];
  readonly defaultModel: string;
  down: ErrorKind | undefined;
  /** When set, streams fail with `unavailable` after this many parts (a connection lost mid-answer). */
  breakStreamAfter: number | undefined;
  calls = 0;

  constructor(private readonly inner: Provider) {
    this.name = inner.name;
    this.type = inner.type;
    this.defaultModel = inner.defaultModel;
  }

  generate(request: ProviderRequest, signal?: AbortSignal) {
    this.calls++;
    this.failIfDown();
    return this.inner.generate(request, signal);
  }

  async *stream(request: ProviderRequest, signal?: AbortSignal): AsyncIterable<StreamPart> {
    this.calls++;
    this.failIfDown();
    let parts = 0;
    for await (const part of this.inner.stream(request, signal)) {
      if (this.breakStreamAfter !== undefined && parts++ >= this.breakStreamAfter) {
        throw new AtlasError('unavailable', `${this.name}: stream broke`, { provider: this.name });
      }
      yield part;
    }
  }

  checkHealth(signal?: AbortSignal) {
    return this.inner.checkHealth(signal);
  }

  private failIfDown(): void {
    if (this.down)
      throw new AtlasError(this.down, `${this.name}: down (${this.down})`, {
        provider: this.name,
        status: 503,
      });
  }
}
