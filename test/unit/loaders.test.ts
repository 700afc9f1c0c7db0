import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/shared/errors.js';
import { readSource } from '../../src/shared/knowledge/loaders/read-source.js';
import { isPrivateAddress } from '../../src/shared/net/address-guard.js';
import { makeDocx, makePdf } from '../support/document-fixtures.js';

let root: string;
let outside: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'atlas-docs-'));
  outside = mkdtempSync(join(tmpdir(), 'atlas-outside-'));
  mkdirSync(join(root, 'sub'));
  writeFileSync(join(root, 'notes.txt'), 'Plain notes about queues.');
  writeFileSync(join(root, 'sub', 'guide.md'), '# Atlas guide\n\nRun the demo.');
  writeFileSync(
    join(root, 'page.html'),
    '<html><head><title>Atlas page</title><script>var x=1</script></head><body><h1>Hello</h1><p>Queues <a href="https://x">and</a> workers.</p></body></html>',
  );
  writeFileSync(join(root, 'data.json'), '{"name":"atlas","tags":["queue","llm"]}');
  writeFileSync(join(root, 'rows.jsonl'), '{"id":1,"text":"one"}\n{"id":2,"text":"two"}\n');
  writeFileSync(join(root, 'table.csv'), 'city,country\nParis,France\nBerlin,Germany\n');
  writeFileSync(join(root, 'report.pdf'), makePdf('Hello PDF world'));
  writeFileSync(join(root, 'broken.pdf'), Buffer.from('%PDF-1.4 this is not really a pdf'));
  writeFileSync(join(root, 'memo.docx'), await makeDocx(['First paragraph.', 'Second paragraph.']));
  writeFileSync(join(outside, 'secret.txt'), 'not yours');
  symlinkSync(join(outside, 'secret.txt'), join(root, 'link.txt'));
});

describe('loaders', () => {
  it('reads every supported type with its own parser', async () => {
    const read = (name: string) => readSource(join(root, name), { roots: [root] });
    expect(await read('notes.txt')).toMatchObject({
      type: 'txt',
      text: 'Plain notes about queues.',
      source: 'notes.txt',
    });
    expect(await read('sub/guide.md')).toMatchObject({
      type: 'md',
      source: join('sub', 'guide.md'),
      metadata: { title: 'Atlas guide' },
    });
    const html = await read('page.html');
    expect(html.metadata).toEqual({ title: 'Atlas page' });
    expect(html.text).toContain('Queues and workers.');
    expect(html.text).not.toContain('var x');
    expect((await read('data.json')).text).toContain('"tags": [');
    expect(await read('rows.jsonl')).toMatchObject({ metadata: { records: 2 } });
    expect((await read('table.csv')).text).toBe(
      'city: Paris\ncountry: France\n\ncity: Berlin\ncountry: Germany',
    );
    expect(await read('report.pdf')).toMatchObject({ type: 'pdf', metadata: { pages: 1 } });
    expect((await read('report.pdf')).text).toContain('Hello PDF world');
    expect((await read('memo.docx')).text).toContain('First paragraph.\n\nSecond paragraph.');
  });

  it('fails a corrupt document alone, with its name and the reason', async () => {
    const error = await readSource(join(root, 'broken.pdf'), { roots: [root] }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toMatch(/broken\.pdf: cannot read it as pdf/);
  });

  it('keeps paths inside the given roots: no .. and no symlink escapes', async () => {
    await expect(readSource(join(root, '..', 'x.txt'), { roots: [root] })).rejects.toThrow(
      /no such file|outside the allowed folders/,
    );
    await expect(readSource(join(outside, 'secret.txt'), { roots: [root] })).rejects.toThrow(
      /outside the allowed folders/,
    );
    await expect(readSource(join(root, 'link.txt'), { roots: [root] })).rejects.toThrow(
      /outside the allowed folders/,
    );
    await expect(readSource(join(root, 'image.png'), { roots: [root] })).rejects.toThrow(
      /unsupported file type/,
    );
  });
});

describe('URLs', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/redirect') {
        response.writeHead(302, { location: '/doc.html' });
        response.end();
        return;
      }
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html><body><p>Fetched by the worker.</p></body></html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses loopback and private addresses unless allowed', async () => {
    await expect(readSource(`${base}/doc.html`, { roots: [] })).rejects.toThrow(
      /refused: 127\.0\.0\.1 is a private or loopback address/,
    );
    const page = await readSource(`${base}/redirect`, { roots: [], allowPrivateUrls: true });
    expect(page.text).toContain('Fetched by the worker.');
    expect(
      [
        '10.1.2.3',
        '172.20.0.1',
        '192.168.1.1',
        '127.0.0.1',
        '169.254.169.254',
        '::1',
        'fd00::1',
        '::ffff:10.0.0.1',
      ].every(isPrivateAddress),
    ).toBe(true);
    expect(['8.8.8.8', '1.1.1.1', '2001:4860:4860::8888'].some(isPrivateAddress)).toBe(false);
  });
});
