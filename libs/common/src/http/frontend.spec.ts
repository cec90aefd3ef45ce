import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../logger';
import { ApiRouter } from './api-router';
import { createHttpApp } from './app';

/** Real HTTP against a built frontend as Vite lays it out: index.html, sw.js, hashed assets. */
async function serve(opts: { worker: boolean; assetBaseUrl?: string }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'frontend-'));
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(
    path.join(dir, 'index.html'),
    '<script type="module" crossorigin src="/svc/assets/index-AbCd1234.js"></script>',
  );
  writeFileSync(path.join(dir, 'assets', 'index-AbCd1234.js'), 'console.log(1)');
  if (opts.worker) writeFileSync(path.join(dir, 'sw.js'), 'self.addEventListener("fetch", () => {});');
  const { app } = createHttpApp({
    service: 'svc',
    logger: createLogger('svc', 'silent'),
    api: new ApiRouter(),
    allowedOrigins: ['http://localhost:8080'],
    frontendDir: dir,
    assetBaseUrl: opts.assetBaseUrl,
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    close: async () => {
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('mountFrontend', () => {
  it('when the build has a service worker, then /<svc>/sw.js is served as JavaScript, never cached, scoped to /<svc>/', async () => {
    const s = await serve({ worker: true, assetBaseUrl: 'https://cdn.example' });
    try {
      const res = await fetch(
        `${s.base}/svc/sw.js?assets=${encodeURIComponent('https://cdn.example/svc/assets/')}`,
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('service-worker-allowed')).toBe('/svc/');
      // The worker's own CSP: it may precache the build's assets from the CDN.
      expect(res.headers.get('content-security-policy')).toMatch(
        /connect-src 'self' ws: wss: https:\/\/cdn\.example/,
      );
      expect(await res.text()).toContain('addEventListener');

      const page = await fetch(`${s.base}/svc/tickets`);
      expect(page.headers.get('cache-control')).toBe('no-cache');
      expect(await page.text()).toContain('"https://cdn.example/svc/assets/index-AbCd1234.js"');
      const asset = await fetch(`${s.base}/svc/assets/index-AbCd1234.js`);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    } finally {
      await s.close();
    }
  });

  it('when the build has none, then /<svc>/sw.js is no script (the SPA page answers it)', async () => {
    const s = await serve({ worker: false });
    try {
      const res = await fetch(`${s.base}/svc/sw.js`);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('service-worker-allowed')).toBeNull();
    } finally {
      await s.close();
    }
  });
});
