import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { createLogger } from '../logger';
import { ApiRouter } from './api-router';
import { API_CSP, createHttpApp } from './app';

/** Real HTTP against createHttpApp: the header sets, ETags by method, cookies read on demand. */
async function serve() {
  const api = new ApiRouter();
  api.route(
    {
      method: 'get',
      path: '/thing',
      summary: 'thing',
      response: z.object({ cookie: z.string().nullable() }),
    },
    ({ req }) => ({
      cookie: (req.cookies as Record<string, string>).a ?? null,
    }),
  );
  api.route(
    {
      method: 'post',
      path: '/thing',
      summary: 'make',
      body: z.object({ n: z.number() }),
      response: z.object({ n: z.number() }),
      status: 201,
    },
    ({ body }) => body,
  );
  let searched = 0;
  api.route(
    {
      method: 'post',
      path: '/search',
      summary: 'search',
      query: z.object({ q: z.string().max(100).optional() }),
      body: z.object({ tags: z.array(z.object({ name: z.string() })).default([]) }),
      response: z.object({ n: z.number() }),
    },
    () => ({ n: ++searched }),
  );
  const { app } = createHttpApp({
    service: 'svc',
    logger: createLogger('svc', 'silent'),
    api,
    allowedOrigins: ['http://localhost:8080'],
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise((r) => server.close(r)), searched: () => searched };
}

describe('createHttpApp', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => (s = await serve()));
  afterAll(() => s.close());

  it('gives API answers the short security header set and pages the full one', async () => {
    const api = await fetch(`${s.base}/svc/api/thing`, { headers: { cookie: 'a=1; b=2' } });
    expect(await api.json()).toEqual({ cookie: '1' });
    expect(api.headers.get('content-security-policy')).toBe(API_CSP);
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
    expect(api.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(api.headers.get('referrer-policy')).toBe('no-referrer');
    expect(api.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(api.headers.get('x-request-id')).toMatch(/^[\w-]{36}$/);
    expect(api.headers.get('x-xss-protection')).toBeNull();

    const health = await fetch(`${s.base}/svc/healthz`);
    expect(health.headers.get('content-security-policy')).toBe(API_CSP);

    const page = await fetch(`${s.base}/svc/somewhere`);
    expect(page.status).toBe(404);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-xss-protection')).toBe('0');
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('sends ETags (and 304s) on GET only', async () => {
    const first = await fetch(`${s.base}/svc/api/thing`);
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    expect(
      (
        await fetch(`${s.base}/svc/api/thing`, {
          headers: { 'if-none-match': etag!, 'cache-control': 'max-age=0' },
        })
      ).status,
    ).toBe(304);

    const made = await fetch(`${s.base}/svc/api/thing`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n: 1 }),
    });
    expect(made.status).toBe(201);
    expect(made.headers.get('etag')).toBeNull();
    expect(made.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await made.json()).toEqual({ n: 1 });

    const bad = await fetch(`${s.base}/svc/api/thing`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"n":',
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(bad.headers.get('etag')).toBeNull();
    expect(((await bad.json()) as { type: string }).type).toMatch(/malformed_json$/);
  });

  it('refuses a NUL character (U+0000) anywhere in the query or the body with 400 problem+json naming the field, and runs nothing', async () => {
    const post = (query: string, body: unknown) =>
      fetch(`${s.base}/svc/api/search${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const inQuery = await post('?q=%00', {});
    expect(inQuery.status).toBe(400);
    expect(inQuery.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(await inQuery.json()).toMatchObject({
      detail: 'query.q: may not contain the NUL character (U+0000)',
      errors: [{ path: 'query.q' }],
    });
    const inBody = await post('', { tags: [{ name: 'ok' }, { name: 'a\u0000b' }] });
    expect(inBody.status).toBe(400);
    expect(await inBody.json()).toMatchObject({ errors: [{ path: 'body.tags.1.name' }] });
    expect(s.searched()).toBe(0);
    const fine = await post('?q=jazz', { tags: [{ name: 'late show' }] });
    expect(fine.status).toBe(200);
    expect(s.searched()).toBe(1);
  });
});
