import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { startGateway, type Gateway } from './gateway';

interface Echo {
  service: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Upstream {
  server: Server;
  url: string;
  connections: number;
  wsHeaders: IncomingHttpHeaders[];
}

/** An upstream that echoes every HTTP request as JSON and every WebSocket message back. */
async function startUpstream(service: string): Promise<Upstream> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const echo: Echo = { service, method: req.method!, url: req.url!, headers: req.headers, body };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(echo));
    });
  });
  const upstream: Upstream = { server, url: '', connections: 0, wsHeaders: [] };
  server.on('connection', () => upstream.connections++);
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    upstream.wsHeaders.push(req.headers);
    ws.on('message', (data) => ws.send(`${service}:${req.url}:${(data as Buffer).toString('utf8')}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  upstream.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return upstream;
}

/**
 * An upstream nobody listens on: port 1 (tcpmux), which nothing binds. A port freed after a
 * `listen(0)` was reused by the gateway's own `listen(0)` in CI: the gateway then proxied to
 * itself, each hop adding forwarding headers, until it answered 431.
 */
function closedPortUrl(): string {
  return 'http://127.0.0.1:1';
}

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

describe('gateway', () => {
  let feed: Upstream;
  let queue: Upstream;
  let gateway: Gateway;

  beforeAll(async () => {
    feed = await startUpstream('feed');
    queue = await startUpstream('queue');
    gateway = await startGateway({
      port: 0,
      routes: { '/feed': feed.url, '/queue': queue.url, '/payment': closedPortUrl() },
    });
  });

  afterAll(async () => {
    await gateway.stop();
    for (const u of [feed, queue]) {
      u.server.closeAllConnections();
      await new Promise((r) => u.server.close(r));
    }
  });

  describe('HTTP', () => {
    it('routes by prefix without rewriting the path, keeping Host and adding X-Forwarded-*', async () => {
      const res = await fetch(`${gateway.url}/queue/api/events/7?x=1`);
      expect(res.status).toBe(200);
      const echo = (await res.json()) as Echo;
      expect(echo).toMatchObject({ service: 'queue', method: 'GET', url: '/queue/api/events/7?x=1' });
      expect(echo.headers.host).toBe(new URL(gateway.url).host);
      expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(echo.headers['x-forwarded-proto']).toBe('http');
      expect(echo.headers['x-forwarded-host']).toBe(new URL(gateway.url).host);
    });

    it('passes request bodies and matches the bare prefix too', async () => {
      const res = await fetch(`${gateway.url}/feed`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ hello: 'world' }),
      });
      expect(await res.json()).toMatchObject({
        service: 'feed',
        method: 'POST',
        url: '/feed',
        body: '{"hello":"world"}',
      });
    });

    it('appends to a client X-Forwarded-For but overwrites a claimed X-Forwarded-Proto', async () => {
      const res = await fetch(`${gateway.url}/feed/`, {
        headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' },
      });
      const echo = (await res.json()) as Echo;
      expect(echo.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
      expect(echo.headers['x-forwarded-proto']).toBe('http');
    });

    it('answers 404 itself for /<svc>/metrics and /<svc>/readyz, in any case and with any suffix, as the ALB does (issue 17.12)', async () => {
      for (const path of [
        '/feed/metrics',
        '/feed/readyz',
        '/FEED/Metrics',
        '/feed/readyz/',
        '/feed/metrics?x=1',
        '/queue/readyz/x',
      ]) {
        const res = await fetch(`${gateway.url}${path}`);
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
        // Answered by the gateway itself, never by the service (whose echo names it).
        expect(await res.text()).not.toContain('"service"');
      }
      // Neighbours of those paths are still the service's.
      expect((await fetch(`${gateway.url}/feed/healthz`)).status).toBe(200);
      expect((await fetch(`${gateway.url}/feed/api/metrics`)).status).toBe(200);
    });

    it('redirects / to /feed/', async () => {
      const res = await fetch(`${gateway.url}/`, { redirect: 'manual' });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('/feed/');
    });

    it('answers 404 problem+json for a path no service owns, including look-alike prefixes', async () => {
      for (const path of ['/feedback', '/nowhere/x']) {
        const res = await fetch(`${gateway.url}${path}`);
        expect(res.status).toBe(404);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
      }
    });

    it('answers 502 problem+json when the upstream is down', async () => {
      const res = await fetch(`${gateway.url}/payment/api/orders`);
      expect(res.status).toBe(502);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await res.json()).toMatchObject({ type: 'about:blank', title: 'Bad Gateway', status: 502 });
    });

    it('reuses upstream connections across requests', async () => {
      const before = feed.connections;
      const agentless = (path: string) =>
        new Promise<number>((resolve, reject) => {
          // A fresh client connection per request, so only the gateway's agent can be reusing.
          const req = request(`${gateway.url}${path}`, { agent: false }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode!));
          });
          req.on('error', reject);
          req.end();
        });
      for (let i = 0; i < 20; i++) expect(await agentless(`/feed/api/${i}`)).toBe(200);
      expect(feed.connections - before).toBeLessThanOrEqual(1);
    });
  });

  describe('WebSocket', () => {
    it('upgrades through to the owning service and relays messages both ways', async () => {
      const ws = await openSocket(`${gateway.url.replace('http', 'ws')}/queue/ws?event=7`);
      const reply = new Promise<string>((r) => ws.once('message', (d) => r((d as Buffer).toString('utf8'))));
      ws.send('ping');
      expect(await reply).toBe('queue:/queue/ws?event=7:ping');
      const headers = queue.wsHeaders.at(-1)!;
      expect(headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(headers.host).toBe(new URL(gateway.url).host);
      const closed = new Promise((r) => ws.once('close', r));
      ws.close();
      await closed;
    });

    it('refuses the upgrade with 502 when the upstream is down, and 404 for unknown paths', async () => {
      const base = gateway.url.replace('http', 'ws');
      await expect(openSocket(`${base}/payment/ws`)).rejects.toThrow('upgrade refused: 502');
      await expect(openSocket(`${base}/elsewhere/ws`)).rejects.toThrow('upgrade refused: 404');
    });

    it('drops open sockets when the gateway stops', async () => {
      const g = await startGateway({ port: 0, routes: { '/queue': queue.url } });
      const ws = await openSocket(`${g.url.replace('http', 'ws')}/queue/ws`);
      const closed = new Promise((r) => ws.once('close', r));
      await g.stop();
      await closed;
      expect(ws.readyState).toBe(WebSocket.CLOSED);
    });
  });
});
