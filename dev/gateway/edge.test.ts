import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import {
  ApiRouter,
  clientIp,
  createDataSource,
  createHttpApp,
  createLogger,
  migrate,
  rateLimit,
  RateLimitStore,
  type EdgeTrust,
} from '@ticketslave/common';
import { createTestDatabase, type TestDatabase } from '../test-support';
import { startGateway, type Gateway } from './gateway';

/**
 * Client identity behind CloudFront and the ALB (issue 17.5), with the dev gateway set up like
 * production: it adds the origin secret and CloudFront-Viewer-Address as our distribution does.
 * Loopback has the whole of 127/8, so binding the client socket to 127.0.0.2 / 127.0.0.3 gives
 * two real, distinct client addresses on one machine.
 */
const EDGE: EdgeTrust = { header: 'X-Origin-Secret', secrets: ['s3cret-origin-value-0001'] };

interface Answer {
  status: number;
  body: { ip?: string };
}

function get(url: string, opts: { from?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress: opts.from, headers: opts.headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { ip?: string } }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

// The rate-limit buckets live in PostgreSQL, as in every service.
let db: TestDatabase;
let ds: DataSource;
beforeAll(async () => {
  db = await createTestDatabase('edge');
  ds = createDataSource({ url: db.url, schema: 'svc' });
  await migrate(ds, 'svc', { sqlFunctions: [] });
});
afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

/** The kit's HTTP app with a route answering the client address and one limited per client address. */
async function startApp(edge: EdgeTrust | undefined): Promise<{ server: Server; url: string }> {
  const api = new ApiRouter();
  api.route(
    { method: 'get', path: '/whoami', summary: 'client address', response: z.object({ ip: z.string() }) },
    ({ req }) => ({
      ip: clientIp(req),
    }),
  );
  api.route(
    {
      method: 'get',
      path: '/limited',
      summary: 'two per client',
      response: z.object({ ip: z.string() }),
      before: [rateLimit({ name: 'limited', capacity: 2, refillPerSecond: 0.001, key: clientIp })],
    },
    ({ req }) => ({ ip: clientIp(req) }),
  );
  const { app } = createHttpApp({
    service: 'svc',
    logger: createLogger('svc', 'silent'),
    api,
    allowedOrigins: ['http://localhost:8080'],
    edge,
    rateLimits: new RateLimitStore(ds),
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('client address behind the edge (gateway as CloudFront + ALB)', () => {
  let svc: { server: Server; url: string };
  let gateway: Gateway;

  beforeAll(async () => {
    svc = await startApp(EDGE);
    gateway = await startGateway({
      port: 0,
      routes: { '/svc': svc.url },
      edge: { header: EDGE.header, secret: EDGE.secrets[0]! },
    });
  });
  afterAll(async () => {
    await gateway.stop();
    svc.server.closeAllConnections();
    await new Promise((r) => svc.server.close(r));
  });

  it('when two fans come through the distribution, then each is seen with its own address', async () => {
    const a = await get(`${gateway.url}/svc/api/whoami`, { from: '127.0.0.2' });
    const b = await get(`${gateway.url}/svc/api/whoami`, { from: '127.0.0.3' });
    expect(a.body.ip).toBe('127.0.0.2');
    expect(b.body.ip).toBe('127.0.0.3');
  });

  it('when a fan writes X-Forwarded-For or CloudFront-Viewer-Address, then neither is believed', async () => {
    const answer = await get(`${gateway.url}/svc/api/whoami`, {
      from: '127.0.0.4',
      headers: { 'x-forwarded-for': '203.0.113.7', 'cloudfront-viewer-address': '198.51.100.9:443' },
    });
    expect(answer.body.ip).toBe('127.0.0.4');
  });

  it("when one fan's bucket is empty, then another fan behind the same edge is still served", async () => {
    const url = `${gateway.url}/svc/api/limited`;
    const first = [await get(url, { from: '127.0.0.5' }), await get(url, { from: '127.0.0.5' })];
    expect(first.map((r) => r.status)).toEqual([200, 200]);
    // A third from the same fan is refused, whatever X-Forwarded-For it invents.
    const third = await get(url, { from: '127.0.0.5', headers: { 'x-forwarded-for': '192.0.2.1' } });
    expect(third.status).toBe(429);
    expect((await get(url, { from: '127.0.0.6' })).status).toBe(200);
  });

  it('when a request reaches the service without the origin secret, then the socket peer is the client', async () => {
    const direct = await get(`${svc.url}/svc/api/whoami`, {
      from: '127.0.0.7',
      headers: { 'cloudfront-viewer-address': '198.51.100.9:443', 'x-forwarded-for': '203.0.113.7' },
    });
    expect(direct.body.ip).toBe('127.0.0.7');
    const wrongSecret = await get(`${svc.url}/svc/api/whoami`, {
      from: '127.0.0.7',
      headers: {
        'x-origin-secret': 'not-the-secret-at-all',
        'cloudfront-viewer-address': '198.51.100.9:443',
      },
    });
    expect(wrongSecret.body.ip).toBe('127.0.0.7');
  });

  it('when a request carries the origin secret, then the viewer address CloudFront measured is the client (IPv6 too)', async () => {
    const v4 = await get(`${gateway.url}/svc/api/whoami`, {
      headers: { 'x-origin-secret': EDGE.secrets[0]!, 'cloudfront-viewer-address': '198.51.100.9:50123' },
    });
    expect(v4.body.ip).toBe('198.51.100.9');
    const v6 = await get(`${svc.url}/svc/api/whoami`, {
      headers: { 'x-origin-secret': EDGE.secrets[0]!, 'cloudfront-viewer-address': '2001:db8::7:50123' },
    });
    expect(v6.body.ip).toBe('2001:db8::7');
  });
});

describe('client address without an edge configured', () => {
  it('when no origin secret is configured, then CloudFront-Viewer-Address and X-Forwarded-For are ignored', async () => {
    const svc = await startApp(undefined);
    try {
      const answer = await get(`${svc.url}/svc/api/whoami`, {
        from: '127.0.0.8',
        headers: {
          'x-origin-secret': 'anything-at-all-here',
          'cloudfront-viewer-address': '198.51.100.9:1',
          'x-forwarded-for': '203.0.113.7',
        },
      });
      expect(answer.body.ip).toBe('127.0.0.8');
    } finally {
      await new Promise((r) => svc.server.close(r));
    }
  });
});
