/**
 * WebSocket load generator for the queue bench (a child process; the parent runs two).
 * Opens COUNT fan sockets to the queue service, each authenticated by a real queue
 * ticket cookie signed with the buffer's key, and records per fan: progress messages
 * per wall-clock second, the receive time of `your_turn`, and unexpected closes.
 * IPC: sends `{ type: 'connected', ok, failed, ms }` once the ramp is over; answers
 * `{ type: 'report' }` with the figures; exits on `{ type: 'close' }`.
 */
import { TokenSigner, TOKENS } from '@ticketslave/common';
import WebSocket from 'ws';
import { logLoopStalls } from './loop-lag';

const env = (k: string) => {
  const v = process.env[k];
  if (v === undefined) throw new Error(`${k} missing`);
  return v;
};

async function main(): Promise<void> {
  logLoopStalls(`ws-gen ${process.env.FROM ?? ''}`);
  const url = env('WS_URL');
  const eventId = env('EVENT_ID');
  const from = Number(env('FROM'));
  const count = Number(env('COUNT'));
  const concurrency = Number(process.env.CONCURRENCY ?? 200);
  const signer = await TokenSigner.fromJwks(JSON.parse(env('BUFFER_JWKS')) as never);

  const expiresAt = new Date(Date.now() + 86_400_000);
  const cookies: string[] = [];
  for (let i = 0; i < count; i++) {
    const qn = from + i;
    const jwt = await signer.sign(
      { evt: eventId, qn },
      {
        issuer: TOKENS.queueTicket.issuer,
        audience: TOKENS.queueTicket.audience,
        subject: `fan-${qn}`,
        expiresAt,
      },
    );
    cookies.push(`ts_qt_${eventId}=${jwt}`);
  }

  const sockets: (WebSocket | undefined)[] = new Array<WebSocket | undefined>(count);
  const lastSecond = new Float64Array(count);
  const perSecond = new Map<number, number>();
  const turns: [string, number][] = [];
  const closeCodes = new Map<number, number>();
  let ok = 0;
  let failed = 0;
  let dropped = 0;
  let hellos = 0;
  let closing = false;
  // BENCH_WS_TRACE=1: each generator logs what its first socket received (to explain a gap).
  const TRACE = process.env.BENCH_WS_TRACE === '1';
  const trace: string[] = [];

  const open = (i: number) =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(url, { headers: { cookie: cookies[i]! }, handshakeTimeout: 60_000 });
      let opened = false;
      ws.on('open', () => {
        opened = true;
        ok++;
        sockets[i] = ws;
        resolve();
      });
      ws.on('message', (data: Buffer) => {
        const m = JSON.parse(data.toString()) as { type: string };
        if (TRACE && i === 0)
          trace.push(`${new Date().toISOString()} ${m.type} ${JSON.stringify(m).slice(0, 90)}`);
        if (m.type === 'progress') {
          const sec = Math.floor(Date.now() / 1000);
          if (lastSecond[i] !== sec) {
            lastSecond[i] = sec;
            perSecond.set(sec, (perSecond.get(sec) ?? 0) + 1);
          }
        } else if (m.type === 'your_turn') turns.push([`fan-${from + i}`, Date.now()]);
        else if (m.type === 'hello') hellos++;
      });
      ws.on('error', () => {
        if (!opened) {
          failed++;
          resolve();
        }
      });
      ws.on('close', (code) => {
        if (opened && !closing) {
          dropped++;
          closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1);
        }
      });
    });

  const t0 = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await open(next++);
    }),
  );
  process.send?.({ type: 'connected', ok, failed, ms: Date.now() - t0 });

  process.on('message', (m: { type: string }) => {
    if (m.type === 'report') {
      if (TRACE) console.error(`[ws-gen ${from}] socket 0 received:\n${trace.slice(-40).join('\n')}`);
      process.send?.({
        type: 'report',
        ok,
        failed,
        dropped,
        hellos,
        open: sockets.filter((s) => s?.readyState === WebSocket.OPEN).length,
        perSecond: [...perSecond],
        turns,
        closeCodes: [...closeCodes],
      });
    } else if (m.type === 'close') {
      closing = true;
      for (const s of sockets) s?.terminate();
      setTimeout(() => process.exit(0), 200);
    }
  });
  process.on('disconnect', () => process.exit(0));
}

main().catch((err: unknown) => {
  console.error('ws generator failed:', err);
  process.exit(1);
});
