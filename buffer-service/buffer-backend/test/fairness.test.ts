import { entrantHash, runDraw, type FairnessDocumentV2 } from '@ticketslave/draw';
import { eventually } from '@ticketslave/dev/test-support';
import { bulkJoin, join, numbersOf, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('buffair');
});
afterAll(() => h?.stop());

/** Spearman's rho of two rankings of the same n items (both permutations of 1..n). */
function spearman(pairs: [number, number][]): number {
  const n = pairs.length;
  const d2 = pairs.reduce((sum, [a, b]) => sum + (a - b) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}

describe('the draw over 10,000 fans who joined in a known order', () => {
  const n = 10_000;
  const users = Array.from({ length: n }, (_, i) => `arrival-${String(i + 1).padStart(5, '0')}`);
  let eventId: string;
  let doc: FairnessDocumentV2;
  let numbers: Awaited<ReturnType<typeof numbersOf>>;

  beforeAll(async () => {
    const event = await h.createEvent({ organiserId: 'org-fair' });
    eventId = event.eventId;
    await bulkJoin(h, eventId, users);
    const started = Date.now();
    const res = await h.api(`/buffer/api/events/${eventId}/close`, {
      method: 'POST',
      cookie: await h.identity.sessionCookie({ id: 'org-fair', role: 'organiser' }),
      body: {},
    });
    expect(res.status).toBe(202);
    await eventually(async () => (await h.api(`/buffer/api/events/${eventId}`)).body.state === 'closed', {
      timeoutMs: 30_000,
    });
    console.log(
      `closed and drew ${n} entrants in ${Date.now() - started} ms (includes waiting for the next beacon round, period 1 s)`,
    );
    for (const u of ['late-1', 'late-2', 'late-3'])
      expect((await join(h, eventId, u)).body.entry.late).toBe(true);
    doc = (await h.api(`/buffer/api/events/${eventId}/fairness`)).body;
    numbers = await numbersOf(h, eventId);
  });

  it('gives every fan a distinct number and arrival order does not predict it', () => {
    const pairs = users.map((u, i): [number, number] => [i + 1, numbers.get(u)!.n!]);
    expect(new Set(pairs.map(([, q]) => q)).size).toBe(n);
    expect(Math.min(...pairs.map(([, q]) => q))).toBe(1);
    expect(Math.max(...pairs.map(([, q]) => q))).toBe(n);
    const rho = spearman(pairs);
    console.log(
      `Spearman(arrival, queue number) = ${rho.toFixed(5)}, bound ${(4 / Math.sqrt(n - 1)).toFixed(5)}`,
    );
    expect(Math.abs(rho)).toBeLessThan(4 / Math.sqrt(n - 1));
  });

  it('puts every late joiner behind every buffered fan', () => {
    expect(['late-1', 'late-2', 'late-3'].map((u) => numbers.get(u)!.n)).toEqual([n + 1, n + 2, n + 3]);
  });

  it('publishes a document from which every number is recomputed', async () => {
    expect(doc.total).toBe(n);
    const result = await h.verify(doc);
    expect(result.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(result.ok).toBe(true);
    const redrawn = await runDraw({
      version: 'draw-v2',
      seed: doc.seed,
      beacon: doc.beacon.randomness,
      entrantHashes: doc.entrantHashes,
    });
    const numberOf = new Map(redrawn.order.map((hash, i) => [hash, i + 1]));
    for (const u of users) expect(numberOf.get(entrantHash(doc.salt, u))).toBe(numbers.get(u)!.n);
  });

  it('makes a tampered document fail verification, naming the check', async () => {
    const swapped = [...doc.entrantHashes];
    swapped[0] = 'f'.repeat(64);
    const failed = async (d: FairnessDocumentV2) =>
      (await h.verify(d)).checks.filter((c) => c.status === 'fail').map((c) => c.id);
    expect(await failed({ ...doc, entrantHashes: swapped })).toEqual(['entrants-sorted', 'entrants-digest']);
    expect(await failed({ ...doc, seed: '0'.repeat(64) })).toEqual(['commitment']);
  });
});
