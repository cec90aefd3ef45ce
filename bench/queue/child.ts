/**
 * One process of the queue bench: `queue`, `buffer`, `hello` or `gateway` (argv[2]).
 * Each runs alone so the bench can measure its RSS and so load generators never share
 * its event loop. Configuration comes from the environment the parent builds; the
 * child answers over IPC: `{ type: 'ready', url }`, `{ type: 'rss', rss }` (after a GC
 * when started with --expose-gc), `{ type: 'cpu', micros }` (CPU time used so far, all threads), and exits on `{ type: 'stop' }`.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { startGateway } from '@ticketslave/dev/gateway';
import { logLoopStalls } from './loop-lag';
import { loadBufferConfig } from '../../buffer-service/buffer-backend/src/config';
import { startBufferService } from '../../buffer-service/buffer-backend/src/start';
import { loadQueueConfig } from '../../queue-service/queue-backend/src/config';
import { startQueueService } from '../../queue-service/queue-backend/src/start';

type Parent = { type: 'rss' } | { type: 'cpu' } | { type: 'stop' };

async function start(role: string): Promise<{ url: string; stop: () => Promise<void> }> {
  switch (role) {
    case 'queue':
      return startQueueService(loadQueueConfig(process.env), { port: 0 });
    case 'buffer':
      return startBufferService(loadBufferConfig(process.env), { port: 0 });
    case 'hello': {
      const app = express();
      app.get('/hello', (_req, res) => {
        res.json({ hello: 'world' });
      });
      const server = await new Promise<import('node:http').Server>((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
      return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        stop: () => new Promise<void>((r) => server.close(() => r())),
      };
    }
    case 'gateway':
      return startGateway({
        port: 0,
        routes: JSON.parse(process.env.BENCH_ROUTES ?? '{}') as Record<string, string>,
      });
    default:
      throw new Error(`unknown role ${role}`);
  }
}

async function main(): Promise<void> {
  const role = process.argv[2] ?? '';
  logLoopStalls(role);
  const running = await start(role);
  const send = (m: unknown) => process.send?.(m);
  process.on('message', (m: Parent) => {
    if (m.type === 'rss') {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      gc?.();
      send({ type: 'rss', rss: process.memoryUsage().rss });
    } else if (m.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({ type: 'cpu', micros: user + system });
    } else if (m.type === 'stop') {
      const force = setTimeout(() => process.exit(0), 10_000);
      force.unref();
      void running
        .stop()
        .catch(() => undefined)
        .then(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', url: running.url });
}

main().catch((err: unknown) => {
  console.error(`bench child ${process.argv[2]} failed:`, err);
  process.exit(1);
});
