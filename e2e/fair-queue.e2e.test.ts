import { entrantHash, verifyFairness, type FairnessDocument } from '@ticketslave/common';
import { eventually } from '../dev/test-support';
import {
  apiCall,
  becomeOrganiser,
  expectStatus,
  joinInWaitingRoom,
  expected401,
  publishEvent,
  registerVerifiedFan,
  uniqueEmail,
  useBrowser,
  usePlatform,
  type Fan,
  type Me,
} from './support';

/**
 * The fair draw end to end: an organiser publishes, three fans join the buffer in
 * the waiting room before the sale, the organiser closes it, and the fans hold
 * distinct queue numbers 1..3 that the published fairness document recomputes.
 */
const platform = usePlatform({ label: 'fairqueue' });
/** Long enough for three fans to register and join, short enough not to slow the test. */
const SALE_IN_MS = 25_000;
const browser = useBrowser({ baseUrl: async () => (await platform).url });

interface Entry {
  eventId: string;
  joinedAt: string;
  late: boolean;
  queueNumber: number | null;
}

describe('the fair draw through the gateway', () => {
  browser.it(
    'three fans who join before the close get distinct numbers that the fairness document proves',
    async () => {
      const p = await platform;
      const organiser = await browser.fan('organiser');
      await becomeOrganiser(organiser.context.request, p);
      // The sale opens shortly after the fans have joined; the organiser closes the buffer before it.
      const event = await publishEvent(organiser.context.request, p, { saleInMs: SALE_IN_MS });

      // The buffer learns of the event from event.published.
      const state = await eventually(
        async () => {
          const r = await apiCall<{ state: string; commitment: string }>(
            organiser.context.request,
            p,
            'GET',
            `/buffer/api/events/${event.id}`,
          );
          return r.status === 200 ? r.body : undefined;
        },
        { timeoutMs: 20_000, message: 'buffer never saw the published event' },
      );
      expect(state.state).toBe('open');
      expect(state.commitment).toMatch(/^[0-9a-f]{64}$/);

      const fans: { fan: Fan; me: Me }[] = [];
      for (const [name, device] of [
        ['alice', 'desktop'],
        ['bob', 'mobile'],
        ['chloe', 'desktop'],
      ] as const) {
        const fan = await browser.fan(name, device);
        const me = await registerVerifiedFan(fan.context.request, p, uniqueEmail(name));
        await joinInWaitingRoom(fan, p, event.id);
        fans.push({ fan, me });
      }

      // Joining again never gives a better place: the same entry comes back.
      const first = await expectStatus(
        apiCall<Entry>(fans[0]!.fan.context.request, p, 'GET', `/buffer/api/events/${event.id}/entries/me`),
        200,
        'my entry',
      );
      const again = await apiCall<{ entry: Entry; receipt: string }>(
        fans[0]!.fan.context.request,
        p,
        'POST',
        `/buffer/api/events/${event.id}/entries`,
        {},
      );
      expect(again.status).toBeLessThan(300);
      expect(again.body.entry.joinedAt).toBe(first.joinedAt);
      expect(again.body.receipt.split('.')).toHaveLength(3);

      await expectStatus(
        apiCall(organiser.context.request, p, 'POST', `/buffer/api/events/${event.id}/close`, {}),
        202,
        'close the buffer',
      );

      const numbers = new Map<string, number>();
      for (const { fan, me } of fans) {
        const entry = await eventually(
          async () => {
            const r = await apiCall<Entry>(
              fan.context.request,
              p,
              'GET',
              `/buffer/api/events/${event.id}/entries/me`,
            );
            return r.status === 200 && r.body.queueNumber !== null ? r.body : undefined;
          },
          { timeoutMs: 30_000, message: `${fan.name} got no queue number` },
        );
        expect(entry.late).toBe(false);
        numbers.set(me.id, entry.queueNumber!);
      }
      expect([...numbers.values()].sort()).toEqual([1, 2, 3]);

      const fairness = await expectStatus(
        apiCall<FairnessDocument>(
          organiser.context.request,
          p,
          'GET',
          `/buffer/api/events/${event.id}/fairness`,
        ),
        200,
        'fairness document',
      );
      const verification = verifyFairness(fairness);
      expect(verification.problems).toEqual([]);
      expect(fairness.total).toBe(3);
      for (const [userId, n] of numbers)
        expect(verification.numbers.get(entrantHash(fairness.salt, userId))).toBe(n);

      // With the queue ticket cookie (Path=/queue) the queue knows each fan's number.
      for (const { fan, me } of fans) {
        const mine = await eventually(
          async () => {
            const r = await apiCall<{ queueNumber: number; saleStartsAt: string | null }>(
              fan.context.request,
              p,
              'GET',
              `/queue/api/events/${event.id}/me`,
            );
            return r.status === 200 ? r.body : undefined;
          },
          { timeoutMs: 20_000, message: `queue never knew ${fan.name}` },
        );
        expect(mine.queueNumber).toBe(numbers.get(me.id));
        // The queue holds turns until the announced sale time, which it learnt from the event.
        expect(new Date(mine.saleStartsAt!).getTime()).toBe(new Date(event.saleStartsAt).getTime());
        // The waiting room's "not joined yet" 404 is expected; judge the queue page alone.
        fan.log.length = 0;
        await fan.visit(`/queue/?event=${event.id}`, 'queue');
        expect(fan.errors(expected401)).toEqual([]);
      }

      // A fan checks the draw from the waiting room: the browser recomputes every number
      // (its own draw-v1, Web Crypto + ChaCha20) and agrees with the number it was given.
      const { fan: alice, me: aliceMe } = fans[0]!;
      await alice.visit(`/buffer/?event=${event.id}&check`, 'check-the-draw');
      await alice.page.getByText('Check my number').click();
      await alice.page.getByRole('button', { name: 'Verify the draw in this browser' }).click();
      const verdict = alice.page.getByTestId('verification');
      await verdict.getByText('The draw checks out: all 3 numbers recomputed.').waitFor();
      expect(await alice.page.getByTestId('recomputed-number').textContent()).toContain(
        String(numbers.get(aliceMe.id)),
      );
      // The signed join receipt downloads as a file naming the event and the fan.
      const [download] = await Promise.all([
        alice.page.waitForEvent('download'),
        alice.page.getByRole('button', { name: 'Download my join receipt' }).click(),
      ]);
      const file = JSON.parse(
        await new Promise<string>((resolve, reject) => {
          void download.createReadStream().then((stream) => {
            let text = '';
            stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
            stream.on('end', () => resolve(text));
            stream.on('error', reject);
          }, reject);
        }),
      ) as { eventId: string; receipt: string };
      expect(file.eventId).toBe(event.id);
      const claims = JSON.parse(Buffer.from(file.receipt.split('.')[1]!, 'base64url').toString()) as {
        sub: string;
        evt: string;
        eh: string;
      };
      expect(claims).toMatchObject({
        sub: aliceMe.id,
        evt: event.id,
        eh: entrantHash(fairness.salt, aliceMe.id),
      });
      await alice.screenshot('draw-verified');
      // Still on the waiting room: checking the draw stops the automatic move to the queue.
      expect(new URL(alice.page.url()).pathname).toBe('/buffer/');
      expect(alice.errors(expected401)).toEqual([]);
    },
    240_000,
  );
});
