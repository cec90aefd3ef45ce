import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { assignmentsOf, type Envelope } from '@ticketslave/common';
import { eventually, readTopic } from '@ticketslave/dev/test-support';
import { runDraw } from '@ticketslave/draw';
import { bulkJoin, startHarness, type Harness } from './harness';

/**
 * A real crash: the buffer runs as its own process (from its sources, real database and
 * broker) and is killed with SIGKILL twice — inside the close's transaction, then while
 * it publishes the numbers — and started again each time. The close must resume to the
 * same deterministic draw, and queue's view of `queue.assigned` must hold every entrant
 * exactly once with numbers 1..n, resent batches notwithstanding.
 */
const ENTRANTS = 150_000;

let h: Harness;
const procs: ChildProcess[] = [];

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

/**
 * Starts the buffer from its sources. A restart after a SIGKILL is not waited for: its
 * HTTP server comes up only after the consumer group has dropped the dead member (its
 * session timeout), while its closer and publisher already work; the test watches those.
 */
async function startProcess(waitReady: boolean): Promise<{ proc: ChildProcess; url: string }> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: path.resolve(__dirname, '..'),
    env: { ...process.env, ...h.env, PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  procs.push(proc);
  const url = `http://127.0.0.1:${port}`;
  if (!waitReady) return { proc, url };
  await eventually(
    async () => {
      if (proc.exitCode !== null) throw new Error(`buffer process exited with ${proc.exitCode}`);
      return (await fetch(`${url}/buffer/readyz`).catch(() => null))?.ok === true;
    },
    { timeoutMs: 45_000, intervalMs: 100, message: 'the buffer process never became ready' },
  );
  return { proc, url };
}

function kill9(proc: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGKILL');
  return exited;
}

/** Polls every few milliseconds until `fn` says yes (no sleeps between: the windows are short). */
async function when(what: string, fn: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const eventRow = async (eventId: string) =>
  (
    await h.pg.query<{ state: string; total: number | null; last_number: number; published_number: number }>(
      'SELECT state, total, last_number, published_number FROM buffer_events WHERE event_id = $1',
      [eventId],
    )
  ).rows[0]!;

beforeAll(async () => {
  h = await startHarness('bufcrash');
});
afterAll(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) await kill9(p);
  await h?.stop();
});

const t0 = Date.now();
const mark = (what: string) => console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s ${what}`);

it('a buffer killed with SIGKILL mid-close and mid-publish resumes: every entrant one number, 1..n', async () => {
  const event = await h.createEvent({ organiserId: 'org-crash' });
  // From here on only the processes below run the buffer.
  await h.service.stop();
  const users = Array.from({ length: ENTRANTS }, (_, i) => `kill-${i}`);
  await bulkJoin(h, event.eventId, users);
  mark('joined');

  // 1. Killed inside the close's transaction, while it writes the numbers.
  let run = await startProcess(true);
  mark('started');
  const close = await fetch(`${run.url}/buffer/api/events/${event.eventId}/close`, {
    method: 'POST',
    headers: {
      cookie: await h.identity.sessionCookie({ id: 'org-crash', role: 'organiser' }),
      'content-type': 'application/json',
    },
    body: '{}',
  });
  expect(close.status).toBe(202);
  await when('the close is writing numbers', async () => {
    const { rows } = await h.pg.query(
      `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND state = 'active'
         AND query LIKE 'COPY "numbers_%'`, // into the event's partition
    );
    return rows.length > 0;
  });
  await kill9(run.proc);
  mark('killed 1');
  expect(await eventRow(event.eventId)).toMatchObject({ state: 'closing', last_number: 0 });
  const { rows: none } = await h.pg.query('SELECT count(*)::int AS n FROM numbers WHERE event_id = $1', [
    event.eventId,
  ]);
  expect(none[0].n).toBe(0);

  // 2. Restarted: its closer finishes the close; killed while it publishes the numbers.
  run = await startProcess(false);
  // A cold start from sources (tsx, the S3 client) takes a good part of this on a loaded machine.
  await when(
    'the close committed and publishing began',
    async () => {
      const e = await eventRow(event.eventId);
      return e.state === 'closed' && e.published_number > 0;
    },
    90_000,
  );
  const atKill = await eventRow(event.eventId);
  await kill9(run.proc);
  mark('killed 2');
  expect(atKill.published_number).toBeLessThan(ENTRANTS);

  // 3. Restarted again: publishing resumes from the cursor.
  run = await startProcess(false);
  await when(
    'every number was published',
    async () => (await eventRow(event.eventId)).published_number === ENTRANTS,
  );

  mark('published');
  // The stored numbers: one per entrant, 1..n, exactly the deterministic draw.
  const { rows } = await h.pg.query<{ user_id: string; entrant_hash: string; queue_number: number | null }>(
    `SELECT e.user_id, e.entrant_hash, n.queue_number FROM entries e
     LEFT JOIN numbers n ON n.event_id = e.event_id AND n.user_id = e.user_id WHERE e.event_id = $1`,
    [event.eventId],
  );
  expect(rows).toHaveLength(ENTRANTS);
  const { rows: ev } = await h.pg.query(
    'SELECT seed, beacon, draw_version AS "drawVersion" FROM buffer_events WHERE event_id = $1',
    [event.eventId],
  );
  // The reference draw of @ticketslave/draw, over the hashes as strings.
  const drawn = await runDraw({
    version: ev[0].drawVersion,
    seed: ev[0].seed,
    beacon: ev[0].beacon,
    entrantHashes: rows.map((r) => r.entrant_hash),
  });
  const byHash = new Map(rows.map((r) => [r.entrant_hash, r]));
  drawn.order.forEach((hash, i) => {
    const { user_id, queue_number } = byHash.get(hash)!;
    if (queue_number !== i + 1) throw new Error(`${user_id} holds ${queue_number}, the draw says ${i + 1}`);
  });
  const stored = new Map(rows.map((r) => [r.user_id, r.queue_number]));

  mark('checked db');
  // Queue's view: whatever was sent twice, each number names one fan and each fan one number.
  const assigned = await readTopic<Envelope<'queue.assigned'>>(
    h.kafka.brokers,
    `${h.kafka.prefix}queue.assigned`,
    {
      until: (m) =>
        new Set(
          m
            .filter((x) => x.payload.eventId === event.eventId)
            .flatMap((x) => assignmentsOf(x.payload).queueNumbers),
        ).size >= ENTRANTS,
      timeoutMs: 30_000,
    },
  );
  mark('read topic');
  const userOfNumber = new Map<number, string>();
  const numberOfUser = new Map<string, number>();
  let sent = 0;
  for (const m of assigned.filter((x) => x.payload.eventId === event.eventId)) {
    const { userIds, queueNumbers } = assignmentsOf(m.payload);
    for (const [i, userId] of userIds.entries()) {
      const a = { userId, queueNumber: queueNumbers[i]! };
      sent++;
      if ((userOfNumber.get(a.queueNumber) ?? a.userId) !== a.userId)
        throw new Error(
          `number ${a.queueNumber} sent for ${userOfNumber.get(a.queueNumber)} and ${a.userId}`,
        );
      if ((numberOfUser.get(a.userId) ?? a.queueNumber) !== a.queueNumber)
        throw new Error(`${a.userId} sent ${numberOfUser.get(a.userId)} and ${a.queueNumber}`);
      userOfNumber.set(a.queueNumber, a.userId);
      numberOfUser.set(a.userId, a.queueNumber);
    }
  }
  expect(numberOfUser.size).toBe(ENTRANTS);
  for (let n = 1; n <= ENTRANTS; n++) if (!userOfNumber.has(n)) throw new Error(`number ${n} never sent`);
  for (const [user, n] of numberOfUser) if (stored.get(user) !== n) throw new Error(`${user}: sent ${n}`);
  console.log(
    `crash: killed in the close's transaction, then at ${atKill.published_number}/${ENTRANTS} published; ` +
      `${sent - ENTRANTS} assignments sent again`,
  );

  const closed = await readTopic<Envelope<'buffer.closed'>>(
    h.kafka.brokers,
    `${h.kafka.prefix}buffer.closed`,
    {
      until: (m) => m.some((x) => x.payload.eventId === event.eventId),
    },
  );
  expect(closed.filter((m) => m.payload.eventId === event.eventId)).toHaveLength(1);
}, 120_000);
