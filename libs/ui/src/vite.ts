/**
 * The one Vite config every TicketSlave frontend uses, so that base paths, output
 * layout and the dev proxy cannot drift between the five services.
 *
 *   // <svc>-frontend/vite.config.ts
 *   import { defineFrontendConfig } from '@ticketslave/ui/vite';
 *   export default defineFrontendConfig('queue', import.meta.dirname);
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import tailwindcss from '@tailwindcss/vite';
import { transformWithOxc, type Plugin, type ProxyOptions, type UserConfig } from 'vite';

export type ServiceName = 'feed' | 'buffer' | 'queue' | 'purchase' | 'payment';

export const SERVICES: readonly ServiceName[] = ['feed', 'buffer', 'queue', 'purchase', 'payment'];

/** Backend ports of the local platform (the README's table); the gateway on 8080 routes `/<service>` to each. */
export const SERVICE_PORTS: Readonly<Record<ServiceName, number>> = {
  feed: 8081,
  buffer: 8082,
  queue: 8083,
  purchase: 8084,
  payment: 8085,
};

/** The local gateway: one origin for every service, HTTP and WebSocket. */
export const GATEWAY_URL = 'http://localhost:8080';

/** Vite dev server port per frontend (5181..5185), so all five can run at once. */
export const DEV_PORTS: Readonly<Record<ServiceName, number>> = {
  feed: 5181,
  buffer: 5182,
  queue: 5183,
  purchase: 5184,
  payment: 5185,
};

export interface FrontendConfigOptions {
  /** Where the backend of this service listens in dev. Default: http://localhost:808x. */
  serviceUrl?: string;
  /** Where everything else is proxied in dev. Default: the gateway on :8080. */
  gatewayUrl?: string;
  /**
   * The frontend's service worker, a TypeScript file relative to `dirname` (e.g. `src/sw.ts`):
   * built into `dist/sw.js` (served at `/<svc>/sw.js`, so its scope is the whole frontend).
   */
  serviceWorker?: string;
}

/** What `sw.ts` finds in its global `__PRECACHE__`: the build's hashed assets and a version naming them. */
export interface Precache {
  version: string;
  /** Paths relative to the frontend's base, e.g. `assets/index-AbCd1234.js` (no source maps). */
  assets: string[];
}

/**
 * Emits the service worker as `sw.js` beside index.html: the source compiled on its own into a
 * classic script (types stripped by Vite's Oxc; it may not import anything), preceded by
 * `const __PRECACHE__ = …` with this build's assets. The version hashes the asset names, the
 * page's index.html and the worker's own source, so any change gives a new sw.js, which the
 * browser installs at the next visit.
 */
function serviceWorker(dirname: string, file: string): Plugin {
  const source = resolve(dirname, file);
  return {
    name: 'ticketslave:service-worker',
    apply: 'build',
    // After every other plugin's (CSS and index.html are emitted in theirs), so the list is whole.
    generateBundle: {
      order: 'post',
      async handler(_options, bundle) {
        const assets = Object.keys(bundle)
          .filter((f) => f.startsWith('assets/') && !f.endsWith('.map'))
          .sort();
        const code = readFileSync(source, 'utf8');
        const version = createHash('sha256')
          .update(assets.join('\n'))
          .update(readFileSync(resolve(dirname, 'index.html')))
          .update(code)
          .digest('hex')
          .slice(0, 16);
        const compiled = await transformWithOxc(code, source, { lang: 'ts', sourcemap: false });
        const precache: Precache = { version, assets };
        this.emitFile({
          type: 'asset',
          fileName: 'sw.js',
          source: `const __PRECACHE__ = ${JSON.stringify(precache)};\n${compiled.code}`,
        });
      },
    },
  };
}

/**
 * Backends check `Origin` on state-changing requests against the public origin
 * (the gateway). The Vite dev server is a different port of the same machine, so in
 * dev only we present requests as coming from the gateway origin.
 */
function presentAsGateway(gatewayUrl: string): ProxyOptions['configure'] {
  return (proxy) => {
    proxy.on('proxyReq', (proxyReq) => {
      const origin = proxyReq.getHeader('origin');
      if (typeof origin === 'string' && /^https?:\/\/(localhost|127\.0\.0\.1)(:\d+)?$/.test(origin)) {
        proxyReq.setHeader('origin', gatewayUrl);
      }
    });
  };
}

function devProxy(service: ServiceName, serviceUrl: string, gatewayUrl: string): Record<string, ProxyOptions> {
  const configure = presentAsGateway(gatewayUrl);
  const others = SERVICES.filter((s) => s !== service).join('|');
  return {
    // This service's own backend: API, sockets, health and key set.
    [`^/${service}/(api|healthz|readyz|metrics|\\.well-known)(/|$)`]: { target: serviceUrl, configure },
    [`^/${service}/ws(/|$|\\?)`]: { target: serviceUrl, ws: true, configure },
    // Every other service (its pages and APIs) through the gateway, as in production.
    [`^/(${others})(/|$)`]: { target: gatewayUrl, ws: true, configure },
  };
}

export function defineFrontendConfig(service: ServiceName, dirname: string, options: FrontendConfigOptions = {}): UserConfig {
  const serviceUrl = options.serviceUrl ?? `http://localhost:${SERVICE_PORTS[service]}`;
  const gatewayUrl = options.gatewayUrl ?? GATEWAY_URL;
  const proxy = devProxy(service, serviceUrl, gatewayUrl);
  return {
    root: dirname,
    base: `/${service}/`,
    plugins: [
      tailwindcss(),
      svelte({ configFile: false }),
      ...(options.serviceWorker ? [serviceWorker(dirname, options.serviceWorker)] : []),
    ],
    build: {
      outDir: resolve(dirname, 'dist'),
      emptyOutDir: true,
      assetsDir: 'assets',
      target: 'es2022',
      sourcemap: true,
    },
    server: { port: DEV_PORTS[service], strictPort: true, proxy },
    preview: { port: DEV_PORTS[service], strictPort: true, proxy },
  };
}
