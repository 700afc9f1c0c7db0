// 04 — A provider group failing over and recovering.
//
// Part 1, the distributed group (Redis): each instance has its own queue and a circuit breaker whose
// state the whole fleet shares. When `primary` fails, its requests move to `backup` by being re-queued
// there; after a few failures its breaker opens and new plans put it last; once the breaker's reset
// time has passed, the next request probes it, the probe succeeds and the breaker closes for everyone.
//
// Part 2, the in-process `ProviderGroup`, for programs without Redis: the same failover and breakers
// inside one process.
//
//   npx tsx examples/04_provider_group.ts
import { setTimeout as sleep } from 'node:timers/promises';
import { AtlasClient, createProvider, ProviderGroup } from 'atlas-queue';
import { startWorkers } from 'atlas-queue/worker';
import { exampleSettings } from './example-settings.js';

// `primary` fails its first three calls with `unavailable` (a 5xx, say), then recovers. Its breaker
// opens after three calls that mostly failed and waits 1.5 s before a probe (the default is 10 s).
const breaker = { volumeThreshold: 3, resetTimeoutMs: 1_500 };
const { settings, provider, cleanup } = exampleSettings('04', {
  providers: {
    primary: { type: 'mock', latencyMs: 5, failures: [{ kind: 'unavailable', times: 3 }], breaker },
    mock: { type: 'mock', latencyMs: 5 },
  },
  // How often processes re-read the fleet's breaker states and heartbeats (so the example is quick).
  generation: { healthCacheMs: 50 },
  workers: { heartbeatIntervalMs: 200 },
});
// With a key set, the real provider is the backup; otherwise a second mock.
const backup = provider;
const providers = ['primary', backup];
const workers = await startWorkers({ settings, providers });
const client = new AtlasClient({ settings });
const plan = async () =>
  (await client.plan({ prompt: 'x', providers })).map((step) => step.instance).join(' → ');

try {
  console.log('Part 1: the distributed group');
  for (let i = 1; i <= 3; i++) {
    const result = await client.generate({ prompt: `Request ${i}`, providers, maxTokens: 50 });
    const path = result.hops.map((hop) =>
      hop.error ? `${hop.provider} ✗ ${hop.error.kind}` : `${hop.provider} ✓`,
    );
    console.log(`  request ${i}: ${path.join(' → ')}`);
  }
  await sleep(100);
  console.log(`  primary's breaker is open: plans now go ${await plan()}`);
  const during = await client.generate({ prompt: 'Request 4', providers, maxTokens: 50 });
  console.log(`  request 4: served by ${during.provider} in ${during.hops.length} hop`);

  await sleep(breaker.resetTimeoutMs + 100);
  console.log(`  after the reset time, plans go ${await plan()} again`);
  const probe = await client.generate({ prompt: 'Request 5', providers, maxTokens: 50 });
  console.log(`  request 5 (the probe): served by ${probe.provider}; breaker closed for the fleet`);
  const after = await client.generate({ prompt: 'Request 6', providers, maxTokens: 50 });
  console.log(`  request 6: served by ${after.provider}; plans go ${await plan()}`);
} finally {
  await client.close();
  await workers.close();
  await cleanup();
}

console.log('Part 2: ProviderGroup, in-process, no Redis');
const group = new ProviderGroup(
  [
    createProvider({
      name: 'flaky',
      type: 'mock',
      settings: { failures: [{ kind: 'unavailable', times: 3 }] },
    }),
    provider === 'mock'
      ? createProvider({ name: 'steady', type: 'mock', model: 'mock-advanced' })
      : createProvider({ type: provider }),
  ],
  { breaker: { volumeThreshold: 3, resetTimeoutMs: 500 } },
);
const states = () =>
  group
    .breakerStates()
    .map((member) => `${member.name} ${member.state}`)
    .join(', ');
const ask = async (label: string) => {
  const response = await group.generate({ messages: [{ role: 'user', content: label }], maxTokens: 50 });
  console.log(`  ${label}: answered by ${response.model}; breakers: ${states()}`);
};
for (let i = 1; i <= 4; i++) await ask(`call ${i}`);
await sleep(600); // past resetTimeoutMs: the next call is a half-open probe of `flaky`
await ask('call 5');
await ask('call 6');
group.close();
