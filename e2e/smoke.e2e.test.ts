import { randomUUID } from 'node:crypto';
import {
  anyOf,
  declaredApi,
  expected401,
  notFoundOnDeclaredPath,
  useBrowser,
  usePlatform,
  type Device,
} from './support';
import { SERVICE_NAMES } from '../dev/platform/paths';

/**
 * Console errors tolerated: 401s (nobody is logged in) and 404s about the made-up event
 * and order ids from API paths a service declares. Every service must serve its OpenAPI
 * document; a 404 from a path none declares fails.
 *
 * The whole platform as processes behind the gateway, one origin: every service's
 * page loads with its title, without console errors (an expected 401 aside), on a
 * desktop and on a phone; health answers through the gateway; `/` goes to the feed.
 */
const platform = usePlatform({ label: 'smoke' });
const browser = useBrowser({ baseUrl: async () => (await platform).url, axe: true });

const eventId = randomUUID();
const orderId = randomUUID();
const PAGES = [
  { name: 'feed', path: '/feed/', title: /TicketSlave/ },
  { name: 'buffer', path: `/buffer/?event=${eventId}`, title: /TicketSlave/ },
  { name: 'queue', path: `/queue/?event=${eventId}`, title: /TicketSlave/ },
  { name: 'purchase', path: '/purchase/', title: /TicketSlave/ },
  { name: 'payment', path: `/payment/?order=${orderId}`, title: /TicketSlave/ },
];

describe('the platform through the gateway', () => {
  it('redirects / to /feed/', async () => {
    const { url } = await platform;
    const res = await fetch(`${url}/`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/feed/');
  });

  it.each(SERVICE_NAMES)('answers /%s/healthz with 200', async (svc) => {
    const { url } = await platform;
    const res = await fetch(`${url}/${svc}/healthz`);
    expect(res.status).toBe(200);
  });

  it.each(SERVICE_NAMES)('serves /%s/api/openapi.json, an OpenAPI 3.1 document with paths', async (svc) => {
    const { url } = await platform;
    const res = await fetch(`${url}/${svc}/api/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi?: string; paths?: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(doc.paths ?? {}).length).toBeGreaterThan(0);
  });

  for (const device of ['desktop', 'mobile'] as Device[]) {
    browser.it(
      `on a ${device}, every service's page loads with its title and no console errors`,
      async () => {
        const visitor = await browser.fan('visitor', device);
        const root = await visitor.visit('/', 'root');
        expect(root?.status()).toBe(200);
        expect(new URL(visitor.page.url()).pathname).toBe('/feed/');
        for (const p of PAGES) {
          const res = await visitor.visit(p.path, p.name);
          expect({ page: p.path, status: res?.status() }).toEqual({ page: p.path, status: 200 });
          await visitor.page.locator('main, h1').first().waitFor({ state: 'visible', timeout: 10_000 });
          expect(await visitor.page.title()).toMatch(p.title);
          const scrollWidth = await visitor.page.evaluate(() => document.documentElement.scrollWidth);
          if (device === 'mobile')
            expect({ page: p.path, scrollWidth }).toEqual({ page: p.path, scrollWidth: 390 });
        }
        const declared = await declaredApi((await platform).url);
        expect(
          visitor.errors(anyOf(expected401, notFoundOnDeclaredPath(declared, eventId, orderId))),
        ).toEqual([]);
      },
    );
  }
});
