import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const available = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;

// No Docker engine runs here; `docker-compose config` validates and resolves the file without one.
describe.skipIf(!available)('docker-compose.yml (validated by docker-compose config, no engine)', () => {
  const config = (...args: string[]) =>
    spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', ...args], { encoding: 'utf8' });

  it('is a valid compose file', () => {
    const result = config('-q');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('has Redis, Qdrant, Ollama and one scalable worker service per provider', () => {
    const services = config('--services').stdout.trim().split('\n').sort();
    expect(services).toEqual([
      'ollama',
      'qdrant',
      'redis',
      'serve',
      'worker-anthropic',
      'worker-mock',
      'worker-ollama',
      'worker-openai',
    ]);
    const resolved = config().stdout;
    expect(resolved).toMatch(/- --appendonly\s+- "yes"/);
    expect(resolved).toContain('noeviction');
    expect(resolved).toMatch(/replicas: 1/);
    expect(resolved).toMatch(/- --providers\s+- openai/);
    expect(resolved).toContain('REDIS_URL: redis://redis:6379');
    expect(resolved).toMatch(/- serve\s+- --host\s+- 0\.0\.0\.0/);
    expect(resolved).toMatch(/ATLAS_SERVER_TOKENS: /);
    expect(resolved).toMatch(/published: 8080\s+target: 8080/);
  });
});
