import { describe, expect, it } from 'vitest';
import { parseInstance } from '../../src/shared/config/provider-settings.js';
import type { AtlasError } from '../../src/shared/errors.js';
import { builtInCatalogue } from '../../src/shared/providers/catalogue.js';
import { MockProvider } from '../../src/shared/providers/mock/mock-provider.js';
import type { StreamPart } from '../../src/shared/providers/provider.js';
import { ProviderGroup } from '../../src/shared/providers/provider-group.js';

const mock = (name: string, settings: Record<string, unknown> = {}) =>
  new MockProvider({
    name,
    settings: parseInstance({ type: 'mock', ...settings }, name) as never,
    catalogue: builtInCatalogue,
  });
const ask = { messages: [{ role: 'user' as const, content: 'hello' }] };

async function collect(stream: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

describe('ProviderGroup (in-process, with mocks)', () => {
  it('streams from the next member when the first fails before any part', async () => {
    const group = new ProviderGroup([mock('a', { failures: [{ kind: 'unavailable' }] }), mock('b')]);
    const parts = await collect(group.stream(ask));
    const finish = parts.at(-1);
    expect(finish?.type === 'finish' && finish.response.text).toBe(
      'Mock reply from b (mock-standard) to: hello',
    );
    group.close();
  });

  it('does not fail over a stream that already gave text, so answers never mix', async () => {
    const breaking = mock('a', { latencyMs: 500, timeoutMs: 100 });
    const group = new ProviderGroup([breaking, mock('b')]);
    const parts: StreamPart[] = [];
    const error = await (async () => {
      for await (const part of group.stream(ask)) parts.push(part);
    })().catch((caught: unknown) => caught);
    expect(parts.length).toBeGreaterThan(0);
    expect((error as AtlasError).kind).toBe('timeout');
    group.close();
  });

  it('embeds through the first member that can', async () => {
    const group = new ProviderGroup([mock('a', { failures: [{ kind: 'unavailable' }] }), mock('b')]);
    const result = await group.embed(['text']);
    expect(result.vectors).toHaveLength(1);
    group.close();
  });

  it('closes an open breaker again after its reset time, with a successful probe', async () => {
    const first = mock('a', { failures: [{ kind: 'unavailable', times: 2 }] });
    const group = new ProviderGroup([first, mock('b')], {
      breaker: { volumeThreshold: 2, resetTimeoutMs: 200 },
    });
    await group.generate(ask);
    await group.generate(ask);
    expect(group.breakerStates()[0]?.state).toBe('open');
    await group.generate(ask);
    expect(first.calls).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(group.breakerStates()[0]?.state).toBe('half-open');
    const response = await group.generate(ask);
    expect(response.text).toContain('from a');
    expect(group.breakerStates()[0]?.state).toBe('closed');
    group.close();
  });

  it('rotates members with round_robin and lists every member’s error when all fail', async () => {
    const group = new ProviderGroup([mock('a'), mock('b')], { strategy: 'round_robin' });
    const served = [];
    for (let i = 0; i < 4; i++) served.push((await group.generate(ask)).text.split(' ')[3]);
    expect(served).toEqual(['a', 'b', 'a', 'b']);
    group.close();
    const broken = new ProviderGroup([
      mock('a', { failureRate: 1 }),
      mock('b', { failures: [{ kind: 'timeout' }] }),
    ]);
    const error = (await broken.generate(ask).catch((caught: unknown) => caught)) as AtlasError;
    expect(error.kind).toBe('timeout');
    expect(error.message).toMatch(/a: unavailable .*; b: timeout/);
    broken.close();
  });
});
