import { describe, expect, it } from 'vitest';
import { hasHashTag, loadSettings } from '../../src/shared/config/settings.js';
import { ConfigError } from '../../src/shared/errors.js';
import { keySlot } from '../../src/shared/redis.js';

const load = (env: Record<string, string>) => loadSettings({ env, configPath: undefined });

describe('Redis Cluster settings', () => {
  it('take the node URLs from ATLAS_REDIS_CLUSTER, commas or spaces', () => {
    const settings = load({
      ATLAS_REDIS_CLUSTER: 'redis://10.0.0.1:7000, redis://10.0.0.2:7000',
      ATLAS_PREFIX: '{atlas}',
    });
    expect(settings.redis.cluster).toEqual(['redis://10.0.0.1:7000', 'redis://10.0.0.2:7000']);
  });

  it('refuse a prefix without a hash tag, naming the variable and what to use', () => {
    expect(() => load({ ATLAS_REDIS_CLUSTER: 'redis://10.0.0.1:7000', ATLAS_PREFIX: 'atlas' })).toThrow(
      ConfigError,
    );
    expect(() => load({ ATLAS_REDIS_CLUSTER: 'redis://10.0.0.1:7000', ATLAS_PREFIX: 'atlas' })).toThrow(
      /ATLAS_PREFIX: on Redis Cluster the prefix needs a \{hash tag\} \(such as '\{atlas\}'\)/,
    );
    // The default prefix has no tag either.
    expect(() => load({ ATLAS_REDIS_CLUSTER: 'redis://10.0.0.1:7000' })).toThrow(/redis\.prefix/);
    expect(() => load({ ATLAS_REDIS_CLUSTER: 'redis://10.0.0.1:7000', ATLAS_PREFIX: '{}x' })).toThrow(
      /hash tag/,
    );
  });

  it('refuse a node that is not a redis:// or rediss:// URL', () => {
    expect(() => load({ ATLAS_REDIS_CLUSTER: '10.0.0.1:7000', ATLAS_PREFIX: '{a}' })).toThrow(
      /ATLAS_REDIS_CLUSTER: expected a node URL such as redis:\/\/10\.0\.0\.1:6379, got '10\.0\.0\.1:7000'/,
    );
  });

  it('hash a tagged key by its tag, as Redis does', () => {
    expect(hasHashTag('{atlas}')).toBe(true);
    expect(hasHashTag('pre{a}')).toBe(true);
    expect(hasHashTag('{}a{b}')).toBe(false);
    expect(hasHashTag('atlas')).toBe(false);
    // Values CLUSTER KEYSLOT gives for these keys.
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('{atlas}:req:1')).toBe(keySlot('atlas'));
  });
});
