import { type MockFailure, parseInstance } from '../../src/shared/config/provider-settings.js';
import { builtInCatalogue } from '../../src/shared/providers/catalogue.js';
import { MockProvider } from '../../src/shared/providers/mock/mock-provider.js';
import { type Fault, fakeRetryAfterSeconds } from '../fakes/fake-server.js';
import { describeProviderConformance, toolPrompt } from '../support/provider-conformance.js';

const script = [
  { match: toolPrompt, toolCalls: [{ name: 'get_weather', arguments: { location: 'Paris' } }] },
];

const failureFor: Record<Exclude<Fault, 'hang'>, MockFailure['kind']> = {
  'server-error': 'unavailable',
  'rate-limit': 'rate_limited',
  'stream-cut': 'unavailable',
  malformed: 'unavailable',
  'bad-key': 'auth',
  refused: 'unavailable',
  'context-length': 'context_length',
  'content-policy': 'content_policy',
  'invalid-request': 'invalid_request',
};

function mock(settings: Record<string, unknown> = {}): MockProvider {
  return new MockProvider({
    name: 'mock-conformance',
    settings: parseInstance({ type: 'mock', latencyMs: 20, script, ...settings }, 'mock') as never,
    catalogue: builtInCatalogue,
  });
}

describeProviderConformance('mock', async () => ({
  provider: mock(),
  supportsEmbeddings: true,
  withFault: (fault) => {
    if (fault === 'hang') return mock({ latencyMs: 60_000, timeoutMs: 300 });
    // A bad key fails every call, health checks included.
    const times = fault === 'bad-key' ? 1_000 : 1;
    return mock({
      failures: [{ kind: failureFor[fault], times, retryAfterMs: fakeRetryAfterSeconds * 1000 }],
    });
  },
  close: async () => {},
}));
