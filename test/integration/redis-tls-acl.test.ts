import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, portOpen } from '../../src/cli/local-redis.js';
import { runCli } from '../support/run-cli.js';

/** A CA and a certificate for 127.0.0.1 signed by it, made for this run. */
function makeCertificates(folder: string): { ca: string; cert: string; key: string } {
  const file = (name: string) => join(folder, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=atlas-test-ca',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
  );
  writeFileSync(file('san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    file('san.cnf'),
    '-out',
    file('server.pem'),
  );
  return { ca: file('ca.pem'), cert: file('server.pem'), key: file('server.key') };
}

describe('Redis over TLS with an ACL user', () => {
  const folder = mkdtempSync(join(tmpdir(), 'atlas-tls-'));
  let stop: () => void = () => undefined;
  let tlsPort = 0;
  let certificates: { ca: string; cert: string; key: string };
  beforeAll(async () => {
    certificates = makeCertificates(folder);
    tlsPort = await freePort();
    const server = spawn(
      'redis-server',
      [
        '--port',
        '0',
        '--tls-port',
        String(tlsPort),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--dir',
        folder,
        '--tls-cert-file',
        certificates.cert,
        '--tls-key-file',
        certificates.key,
        '--tls-ca-cert-file',
        certificates.ca,
        '--tls-auth-clients',
        'no',
        // Each word its own argument: redis-server joins them into one `user` directive.
        ...['--user', 'default', 'off'],
        ...['--user', 'atlas', 'on', '>s3cret-pass', '~*', '&*', '+@all'],
      ],
      { stdio: 'ignore' },
    );
    stop = () => server.kill('SIGTERM');
    for (let attempt = 0; attempt < 100 && !(await portOpen(tlsPort)); attempt++)
      await new Promise((resolve) => setTimeout(resolve, 50));
  });
  afterAll(() => stop());

  it('serves a query over rediss:// as an ACL user, and names a wrong password in one line', async () => {
    const config = join(folder, 'atlas.config.json');
    writeFileSync(config, JSON.stringify({ providers: { m: { type: 'mock' } } }));
    const env = {
      REDIS_URL: `rediss://atlas:s3cret-pass@127.0.0.1:${tlsPort}`,
      // How a deployment trusts a private CA: Node reads it at start-up for every TLS connection.
      NODE_EXTRA_CA_CERTS: certificates.ca,
      ATLAS_CONFIG: config,
      ATLAS_PREFIX: 'tls',
    };
    const answer = await runCli(['query', '-q', 'over TLS', '--json'], env);
    expect(answer.stderr).toBe('atlas: no worker serves m; running workers in this process\n');
    expect(answer.code).toBe(0);
    expect(JSON.parse(answer.stdout)).toMatchObject({ provider: 'm' });

    const refused = await runCli(['query', '-q', 'over TLS', '--json'], {
      ...env,
      REDIS_URL: `rediss://atlas:wrong@127.0.0.1:${tlsPort}`,
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/WRONGPASS|invalid username-password/);
    expect(refused.stderr).not.toContain('wrong@');
  });
});
