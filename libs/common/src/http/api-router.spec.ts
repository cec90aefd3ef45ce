import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import express from 'express';
import { z } from 'zod';
import { ApiRouter, GZIP_MIN_BYTES, noContent, openApiDocument } from './api-router';

/** Real HTTP against an Express app mounting an ApiRouter. */
async function serve(big: unknown, small: unknown) {
  const api = new ApiRouter();
  api.route({ method: 'get', path: '/big', summary: 'big', response: z.unknown() }, () => big);
  api.route({ method: 'get', path: '/small', summary: 'small', response: z.unknown() }, () => small);
  const app = express();
  app.set('etag', 'strong');
  app.use(api.router);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise((r) => server.close(r)) };
}

const raw = (url: string, headers: Record<string, string>) =>
  fetch(url, { headers, decompress: false } as RequestInit);

describe('ApiRouter JSON answers', () => {
  const big = { seats: 'a'.repeat(GZIP_MIN_BYTES * 4), n: 1 };
  const small = { ok: true };
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => (s = await serve(big, small)));
  afterAll(() => s.close());

  it('gzips a large answer for a client that accepts it, with Vary and an ETag per encoding', async () => {
    const http = await import('node:http');
    const get = (encoding: string, extra: Record<string, string> = {}) =>
      new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
        http
          .get(`${s.base}/big`, { headers: { 'accept-encoding': encoding, ...extra } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
            );
          })
          .on('error', reject);
      });
    const gz = await get('gzip, deflate, br');
    expect(gz.status).toBe(200);
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers['vary']).toMatch(/Accept-Encoding/i);
    expect(gz.headers['content-type']).toMatch(/^application\/json/);
    expect(gz.body.length).toBeLessThan(1024);
    expect(JSON.parse(gunzipSync(gz.body).toString('utf8'))).toEqual(big);

    const plain = await get('identity');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(plain.body.toString('utf8'))).toEqual(big);
    expect(plain.headers['etag']).not.toBe(gz.headers['etag']);

    // A matching If-None-Match still answers 304 for the compressed variant.
    const again = await get('gzip', { 'if-none-match': String(gz.headers['etag']) });
    expect(again.status).toBe(304);
  });

  it('sends small answers as they are', async () => {
    const r = await raw(`${s.base}/small`, { 'accept-encoding': 'gzip' });
    expect(r.headers.get('content-encoding')).toBeNull();
    expect(await r.json()).toEqual(small);
  });
});

describe('ApiRouter response checks', () => {
  async function serveChecked(answer: unknown) {
    const api = new ApiRouter().checkResponses();
    api.route(
      {
        method: 'get',
        path: '/order',
        summary: 'order',
        response: z.object({ id: z.string(), at: z.string() }),
      },
      () => answer,
    );
    api.route({ method: 'post', path: '/nothing', summary: 'nothing', response: noContent }, () => answer);
    const app = express();
    app.use(api.router);
    let failure: Error | undefined;
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      failure = err;
      res.status(500).end();
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { base, failure: () => failure, close: () => new Promise((r) => server.close(r)) };
  }

  it('when an answer matches its declared schema as JSON carries it, then it is sent', async () => {
    const s = await serveChecked({ id: 'a', at: new Date(0) });
    try {
      const r = await fetch(`${s.base}/order`);
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual({ id: 'a', at: '1970-01-01T00:00:00.000Z' });
    } finally {
      await s.close();
    }
  });

  it('when an answer drifts from its declared schema, then the request fails naming the route and field', async () => {
    const s = await serveChecked({ id: 7, at: 'now' });
    try {
      expect((await fetch(`${s.base}/order`)).status).toBe(500);
      expect(s.failure()?.message).toMatch(/^GET \/order answered a body its response schema refuses: id: /);
      expect((await fetch(`${s.base}/nothing`, { method: 'POST' })).status).toBe(500);
      expect(s.failure()?.message).toBe('POST /nothing declares noContent but answered a body');
    } finally {
      await s.close();
    }
  });
});

describe('ApiRouter OpenAPI paths', () => {
  it('when a route declares its answers, then the document has its schema, its problem statuses and a default', () => {
    const api = new ApiRouter();
    api.route(
      {
        method: 'delete',
        path: '/things/:id',
        summary: 'drop',
        params: z.object({ id: z.uuid() }),
        response: noContent,
        errors: [404],
        auth: 'session',
      },
      () => undefined,
    );
    const op = api.openApiPaths('/svc/api')['/svc/api/things/{id}']?.delete as {
      responses: Record<string, { content?: Record<string, unknown> }>;
    };
    expect(Object.keys(op.responses)).toEqual(['204', '400', '401', '404', 'default']);
    expect(op.responses['204']?.content).toBeUndefined();
    expect(op.responses['404']).toEqual({ $ref: '#/components/responses/NotFound' });
    expect(op.responses.default).toEqual({ $ref: '#/components/responses/Error' });
  });

  it('when routes share problem answers, then the document declares each once in components.responses', () => {
    const api = new ApiRouter();
    for (const path of ['/a/:id', '/b/:id'])
      api.route(
        {
          method: 'get',
          path,
          summary: 'get',
          params: z.object({ id: z.string() }),
          response: noContent,
          errors: [404],
        },
        () => undefined,
      );
    const doc = openApiDocument('svc', api);
    expect(Object.keys(doc.components.responses).sort()).toEqual(['BadRequest', 'Error', 'NotFound']);
    expect(doc.components.responses.NotFound).toEqual({
      description: 'Not found',
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    });
  });
});
