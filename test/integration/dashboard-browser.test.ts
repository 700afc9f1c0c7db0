import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AtlasServer, startServer } from '../../src/server.js';
import { type OpenAIFake, startOpenAIFake } from '../fakes/openai-fake.js';
import { createHarness, type Harness } from '../support/generation-harness.js';

// A real browser on the dashboard: Debian's Chromium driven by playwright-core (never a downloaded one).
const chromium = '/usr/bin/chromium';
const available = existsSync(chromium);
const screenshots = join('.atlas', 'screenshots');
const token = 'test-token-dashboard-0123456789abcdef';
const keyVariable = 'ATLAS_TEST_DASHBOARD_OPENAI_KEY';

describe.skipIf(!available)(`the dashboard in headless Chromium (${chromium})`, () => {
  let fake: OpenAIFake;
  let harness: Harness;
  let server: AtlasServer;
  let browser: Browser;

  beforeAll(async () => {
    fake = await startOpenAIFake();
    process.env[keyVariable] = fake.apiKey;
    harness = await createHarness(
      {
        providers: {
          primary: {
            type: 'openai',
            baseURL: fake.baseURL,
            apiKeyEnv: keyVariable,
            timeoutMs: 2_000,
            breaker: { volumeThreshold: 2, resetTimeoutMs: 60_000 },
          },
          backup: { type: 'mock' },
        },
      },
      'dashboard',
    );
    await harness.startWorkers();
    server = await startServer({
      settings: { ...harness.settings, server: { ...harness.settings.server, port: 0, tokens: [token] } },
    });
    const { chromium: launcher } = await import('playwright-core');
    browser = await launcher.launch({
      executablePath: chromium,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await harness?.close();
    await fake?.close();
  });

  it('asks for the token once, then shows a breaker turning open when its provider goes down', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(server.url);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('#token', token);
    await page.click('button[type=submit]');
    await page.waitForURL(`${server.url}/`);
    const breaker = page.locator('[data-instance="primary"] .breaker');
    await expect.poll(() => breaker.textContent(), { timeout: 5_000 }).toBe('closed');

    const request = { prompt: 'What is the capital of France?', providers: ['primary', 'backup'] };
    await Promise.all(Array.from({ length: 4 }, () => harness.client.generate(request)));
    await fake.server.goDown();
    // Failures must outweigh the successes still in the breaker's rolling window (1 s).
    for (let i = 0; i < 20 && (await harness.breakerOf('primary')) !== 'open'; i++)
      await harness.client.generate(request);
    expect(await harness.breakerOf('primary')).toBe('open');

    await expect.poll(() => breaker.textContent(), { timeout: 5_000 }).toBe('open');
    await expect.poll(() => page.locator('#transitions').textContent()).toContain('primary');
    await expect.poll(() => page.locator('#requests .hop.failed').count()).toBeGreaterThan(0);
    // The cookie holds the session; a reload asks nothing.
    await page.reload();
    expect(new URL(page.url()).pathname).toBe('/');
    await expect.poll(() => breaker.textContent(), { timeout: 5_000 }).toBe('open');

    await page.waitForTimeout(1_500); // a second of the open breaker on its timeline, and a rate
    mkdirSync(screenshots, { recursive: true });
    await page.screenshot({ path: join(screenshots, 'dashboard.png'), fullPage: true });
    const board = await browser.newPage();
    await board.context().addCookies(await page.context().cookies());
    await page.goto(`${server.url}/queues`);
    await expect.poll(() => page.title(), { timeout: 5_000 }).toMatch(/Atlas queues|Bull/);
    await page.close();
    await board.close();
  });
});
