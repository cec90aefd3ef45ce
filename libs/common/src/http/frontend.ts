import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';

/**
 * Serves a service's built SPA at `/<svc>/`: hashed assets with a year of cache,
 * index.html and the service worker (`sw.js`, if built) never cached. With ASSET_BASE_URL set (CloudFront in front of the
 * assets bucket), index.html points its asset URLs there instead.
 */
export function mountFrontend(
  app: Express,
  opts: { service: string; dir: string; assetBaseUrl?: string },
): boolean {
  const indexPath = path.join(opts.dir, 'index.html');
  if (!existsSync(indexPath)) return false;
  const prefix = `/${opts.service}`;
  let html = readFileSync(indexPath, 'utf8');
  if (opts.assetBaseUrl) {
    const base = opts.assetBaseUrl.replace(/\/$/, '');
    html = html.replaceAll(`"${prefix}/assets/`, `"${base}${prefix}/assets/`);
  }
  app.use(
    `${prefix}/assets`,
    express.static(path.join(opts.dir, 'assets'), {
      immutable: true,
      maxAge: '365d',
      index: false,
      fallthrough: false,
    }),
  );
  // The frontend's service worker, where its build has one (purchase: "My tickets" offline).
  // Never cached, so a new build's worker is found at the next visit; its scope is the
  // frontend's path (its default there, said explicitly).
  const workerPath = path.join(opts.dir, 'sw.js');
  if (existsSync(workerPath)) {
    const worker = readFileSync(workerPath, 'utf8');
    app.get(`${prefix}/sw.js`, (_req, res) => {
      res.setHeader('Cache-Control', 'no-cache');
      res.setHeader('Service-Worker-Allowed', `${prefix}/`);
      res.type('text/javascript').send(worker);
    });
  }
  app.use(prefix, express.static(opts.dir, { index: false, maxAge: '1h' }));
  const sendIndex: express.RequestHandler = (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(html);
  };
  // Client-side routes: any GET under the prefix that is not API, WS or ops.
  app.get(
    new RegExp(`^${prefix}(?:/(?!api/|api$|ws$|healthz$|readyz$|metrics$|\\.well-known/).*)?$`),
    sendIndex,
  );
  return true;
}
