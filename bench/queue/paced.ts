/**
 * An open-loop HTTP/1.1 load at a given rate: requests arrive as a Poisson process
 * (independent fans), each goes out on the first free keep-alive connection, and its
 * latency counts from when it was due, not from when a connection was free
 * (wrk2's correction for coordinated omission: a stalled server cannot hide the queue
 * that builds behind it).
 *
 * autocannon's `overallRate` is not that: each connection sends its share of the second
 * back to back from the top of every second, all connections in step, so "half the
 * saturation rate" was a burst at full speed for half of each second, then silence.
 */
import { connect, type Socket } from 'node:net';

export interface PacedOptions {
  url: string;
  /** Mean arrivals per second. */
  rate: number;
  seconds: number;
  connections: number;
  /** The raw request for arrival `i` (keep-alive, with Content-Length when it has a body). */
  request: (i: number) => Buffer;
  /** How long answers may trail the last arrival before the run gives up on them. */
  drainMs?: number;
}

export interface PacedResult {
  due: number;
  answered: number;
  non2xx: number;
  failed: number;
  /** Due → answered, ascending, milliseconds. */
  latenciesMs: number[];
  /** Answers per second over the arrival window. */
  achieved: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');

interface Conn {
  socket: Socket;
  busy: boolean;
  dueAt: number;
  buf: Buffer;
}

/** Poisson arrival times (ms from the start) over `seconds`. */
function arrivals(rate: number, seconds: number): number[] {
  const times: number[] = [];
  for (let t = 0; ;) {
    t += (-Math.log(1 - Math.random()) / rate) * 1000;
    if (t >= seconds * 1000) return times;
    times.push(t);
  }
}

export async function pacedLoad(opts: PacedOptions): Promise<PacedResult> {
  const { hostname, port } = new URL(opts.url);
  const schedule = arrivals(opts.rate, opts.seconds);
  const latencies: number[] = [];
  let non2xx = 0;
  let failed = 0;
  let next = 0;
  let sent = 0;
  const waiting: number[] = []; // due times of arrivals no connection has taken yet
  let finish: () => void = () => undefined;
  const done = new Promise<void>((r) => (finish = r));
  const settled = () => latencies.length + failed === schedule.length;

  const conns: Conn[] = await Promise.all(
    Array.from(
      { length: opts.connections },
      () =>
        new Promise<Conn>((resolve, reject) => {
          const socket = connect({ host: hostname, port: Number(port), noDelay: true });
          const c: Conn = { socket, busy: false, dueAt: 0, buf: Buffer.alloc(0) };
          socket.once('connect', () => resolve(c));
          socket.once('error', reject);
        }),
    ),
  );
  const t0 = performance.now();

  const dispatch = () => {
    for (const c of conns) {
      if (!waiting.length) return;
      if (c.busy || c.socket.destroyed) continue;
      const dueAt = waiting.shift()!;
      c.busy = true;
      c.dueAt = dueAt;
      c.socket.write(opts.request(sent++));
    }
  };

  const complete = (c: Conn, status: number) => {
    latencies.push(performance.now() - (t0 + c.dueAt));
    if (status < 200 || status >= 300) non2xx++;
    c.busy = false;
    if (settled()) finish();
    else dispatch();
  };

  for (const c of conns) {
    c.socket.on('data', (chunk: Buffer) => {
      c.buf = c.buf.length ? Buffer.concat([c.buf, chunk]) : chunk;
      for (;;) {
        const end = c.buf.indexOf(HEADER_END);
        if (end < 0) return;
        const head = c.buf.subarray(0, end).toString('latin1');
        const status = Number(head.slice(9, 12));
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        const length = m ? Number(m[1]) : 0;
        const total = end + 4 + length;
        if (c.buf.length < total) return;
        c.buf = c.buf.subarray(total);
        if (c.busy) complete(c, status);
      }
    });
    c.socket.on('error', () => undefined);
    c.socket.on('close', () => {
      if (c.busy) {
        c.busy = false;
        failed++;
        if (settled()) finish();
      }
    });
  }

  const tick = () => {
    const now = performance.now() - t0;
    while (next < schedule.length && schedule[next]! <= now) waiting.push(schedule[next++]!);
    dispatch();
    if (next < schedule.length) setTimeout(tick, Math.max(0, schedule[next]! - (performance.now() - t0)));
  };
  if (!schedule.length) finish();
  else tick();

  const drain = setTimeout(finish, opts.seconds * 1000 + (opts.drainMs ?? 10_000));
  await done;
  clearTimeout(drain);
  for (const c of conns) c.socket.destroy();
  failed = schedule.length - latencies.length;
  latencies.sort((a, b) => a - b);
  return {
    due: schedule.length,
    answered: latencies.length,
    non2xx,
    failed,
    latenciesMs: latencies,
    achieved: latencies.length / opts.seconds,
  };
}
