/**
 * One server of the feed bench, alone in its process so the load generator never shares its
 * event loop: `feed` (the feed service, configured from the environment the parent builds)
 * or `bare` (node:http + pg running the feed's list query and shaping, uncached).
 * Answers over IPC `{ type: 'ready', url }`, `{ type: 'loop', p50Ms, p99Ms, maxMs }` (its
 * event-loop delay since the last ask) to `{ type: 'loop' }`, and exits on `{ type: 'stop' }`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Pool } from 'pg';
import { systemClock } from '@ticketslave/common';
import { loadFeedConfig } from '../../feed-service/feed-backend/src/config';
import { startFeedService } from '../../feed-service/feed-backend/src/start';
import { PgPublicEventStore } from '../../feed-service/feed-backend/src/data/public-events-repo';
import { PublicEvents } from '../../feed-service/feed-backend/src/domain/public-events';

async function startBare(): Promise<{ url: string; stop: () => Promise<void> }> {
  const pool = new Pool({
    connectionString: process.env.DATABASE_URL,
    max: 10,
    options: '-c search_path=feed,public',
  });
  // The same query and shaping as the service without its cache, minus Express and the kit.
  const publicEvents = new PublicEvents(
    new PgPublicEventStore({
      query: async <T>(sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows as T,
    }),
    systemClock,
  );
  const server = http.createServer((_req, res) => {
    publicEvents.list({ limit: 20 }).then(
      (page) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(page));
      },
      () => {
        res.writeHead(500);
        res.end();
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      await new Promise((r) => server.close(r));
      await pool.end();
    },
  };
}

async function main(): Promise<void> {
  const role = process.argv[2];
  const running =
    role === 'bare'
      ? await startBare()
      : role === 'feed'
        ? await startFeedService(loadFeedConfig(process.env), { port: 0 })
        : undefined;
  if (!running) throw new Error(`unknown role ${role}`);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  process.on('message', (m: { type: string }) => {
    if (m.type === 'loop') {
      const ms = (ns: number) => Math.round(ns / 1e5) / 10;
      process.send?.({
        type: 'loop',
        p50Ms: ms(loop.percentile(50)),
        p99Ms: ms(loop.percentile(99)),
        maxMs: ms(loop.max),
      });
      loop.reset();
      return;
    }
    if (m.type !== 'stop') return;
    setTimeout(() => process.exit(0), 10_000).unref();
    void running
      .stop()
      .catch(() => undefined)
      .then(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready', url: running.url });
}

main().catch((err: unknown) => {
  console.error(`feed bench child ${process.argv[2]} failed:`, err);
  process.exit(1);
});
