/**
 * The purchase frontend's service worker, served as `/purchase/sw.js` (issue 20.6: tickets work
 * offline on the fan's phone once the ticket page was loaded). A fan who opened "My tickets"
 * once, then closes the tab or reloads with no network at the door, still gets the page: the
 * page itself shows the tickets it saved on the phone (`lib/tickets/my-tickets.svelte.ts`) and
 * makes their live codes from the phone's clock.
 *
 * - Install: precaches the app shell (index.html as the service serves it, asset URLs
 *   rewritten for the CDN where there is one) and every hashed asset of this build.
 * - Navigations to the tickets page: network first; when the network fails, answers 502 or
 *   more, or is silent for 5 s, the shell from the cache. Other pages (seats, orders, the
 *   door's check-in app) are left to the network, as before.
 * - Hashed assets: from the cache, else the network (their names change with their content).
 * - API requests: never touched (Chromium skips the worker for them altogether): nobody's
 *   tickets are kept here, so signing out has nothing to clear in this cache.
 *
 * Built by `defineFrontendConfig` (libs/ui/src/vite.ts) into a classic script on its own: no
 * imports; `__PRECACHE__` is this build's asset list. Registered from `main.ts`.
 */
declare const __PRECACHE__: { version: string; assets: string[] };

// The few service-worker types used here (lib.webworker cannot sit beside lib.dom in one program).
interface SwExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface SwInstallEvent extends SwExtendableEvent {
  /** Static routing (Chromium): requests matching a rule skip the worker. */
  addRoutes?(rules: { condition: { urlPattern: { pathname: string } }; source: 'network' }[]): Promise<void>;
}
interface SwFetchEvent extends SwExtendableEvent {
  readonly request: Request;
  respondWith(response: Response | Promise<Response>): void;
}
interface SwGlobalScope {
  readonly location: { readonly href: string };
  readonly registration: { readonly scope: string };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install', listener: (event: SwInstallEvent) => void): void;
  addEventListener(type: 'activate', listener: (event: SwExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: SwFetchEvent) => void): void;
}

const sw = self as unknown as SwGlobalScope;
/** `/purchase/`: the frontend's base, where index.html is served (for every client-side route). */
const SW_BASE = new URL(sw.registration.scope).pathname;
const SW_CACHE_PREFIX = `ticketslave${SW_BASE.replaceAll('/', '-')}shell-`;
const SW_CACHE = `${SW_CACHE_PREFIX}${__PRECACHE__.version}`;
/** Pages given the cached shell when the network fails: the fan's tickets. */
const SW_OFFLINE_PAGES = new Set([`${SW_BASE}tickets`, `${SW_BASE}tickets/`]);
/** A door's Wi-Fi that takes the request and never answers is no better than none. */
const SW_NAVIGATION_TIMEOUT_MS = 5000;

/**
 * Where this build's hashed assets are loaded from: the CDN when the page says so (`?assets=`,
 * the directory of its own script; same path, http(s) only), else this origin.
 */
const SW_ASSETS = ((): string => {
  const own = new URL(`${SW_BASE}assets/`, sw.location.href);
  const given = new URL(sw.location.href).searchParams.get('assets');
  try {
    const cdn = given ? new URL(given) : null;
    if (cdn && /^https?:$/.test(cdn.protocol) && cdn.pathname === own.pathname && !cdn.search) return cdn.href;
  } catch {
    // not a URL: this origin's assets
  }
  return own.href;
})();

sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      try {
        await event.addRoutes?.([{ condition: { urlPattern: { pathname: `${SW_BASE}api/*` } }, source: 'network' }]);
      } catch {
        // An optimisation only: without it, API requests pass through untouched (fetch below).
      }
      const cache = await caches.open(SW_CACHE);
      await cache.addAll([
        new Request(SW_BASE, { cache: 'reload' }),
        ...__PRECACHE__.assets.map((file) => new URL(file.replace(/^assets\//, ''), SW_ASSETS).href),
      ]);
      // A new build's worker takes over at once; pages opened before keep their loaded scripts.
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys())
        if (name.startsWith(SW_CACHE_PREFIX) && name !== SW_CACHE) await caches.delete(name);
    })(),
  );
});

sw.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  if (request.mode === 'navigate') {
    if (SW_OFFLINE_PAGES.has(new URL(request.url).pathname)) event.respondWith(networkOrShell(request));
    return;
  }
  if (request.url.startsWith(SW_ASSETS)) event.respondWith(cachedOrNetwork(request));
});

async function cachedOrNetwork(request: Request): Promise<Response> {
  const cache = await caches.open(SW_CACHE);
  return (await cache.match(request, { ignoreVary: true })) ?? fetch(request);
}

async function networkOrShell(request: Request): Promise<Response> {
  const network = fetch(request);
  // Whichever way the race goes, a late failure of the request is not an error to report.
  network.catch(() => undefined);
  try {
    const response = await Promise.race([
      network,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer')), SW_NAVIGATION_TIMEOUT_MS)),
    ]);
    if (response.status < 502) return response;
  } catch {
    // offline, or silent: the shell below
  }
  const shell = await (await caches.open(SW_CACHE)).match(SW_BASE);
  return shell ?? network;
}
