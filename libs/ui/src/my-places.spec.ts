import { mergePlaces, placeHref, type BufferEntry, type QueuePlace } from './my-places';

const NOW = Date.parse('2026-12-06T20:00:00Z');
const at = (s: number) => new Date(NOW + s * 1000).toISOString();
const entry = (eventId: string, queueNumber: number | null): BufferEntry => ({
  eventId,
  joinedAt: at(-600),
  late: false,
  queueNumber,
});
const place = (eventId: string, over: Partial<QueuePlace>): QueuePlace => ({
  eventId,
  queueNumber: 10,
  status: 'waiting',
  claimBy: null,
  admissionExpiresAt: null,
  servingNumber: 0,
  lastNumber: 100,
  paused: false,
  soldOut: false,
  saleStartsAt: null,
  ...over,
});

describe('My queues: merging the buffer’s entries with the queue’s places', () => {
  it('when the fan is in several queues, says for each: waiting for the draw, #N with fans ahead, your turn, shopping until — most urgent first', () => {
    const merged = mergePlaces(
      [entry('draw', null), entry('far', 900), entry('near', 12), entry('turn', 5), entry('shop', 3)],
      [
        place('far', { queueNumber: 900, servingNumber: 99 }),
        place('near', { queueNumber: 12, servingNumber: 9 }),
        place('turn', { queueNumber: 5, status: 'parked', claimBy: at(60) }),
        place('shop', { queueNumber: 3, status: 'admitted', admissionExpiresAt: at(600) }),
      ],
      NOW,
    );
    expect(merged).toEqual([
      { eventId: 'turn', state: 'turn', queueNumber: 5, claimBy: at(60) },
      { eventId: 'shop', state: 'shopping', queueNumber: 3, until: at(600) },
      { eventId: 'near', state: 'waiting', queueNumber: 12, ahead: 2, paused: false, saleStartsAt: null },
      { eventId: 'far', state: 'waiting', queueNumber: 900, ahead: 800, paused: false, saleStartsAt: null },
      { eventId: 'draw', state: 'draw', joinedAt: at(-600) },
    ]);
    expect(merged.map(placeHref)).toEqual([
      '/queue/?event=turn',
      '/purchase/?event=shop',
      '/queue/?event=near',
      '/queue/?event=far',
      '/buffer/?event=draw',
    ]);
  });

  it('when the queue has not heard of a fresh number yet, shows the number with fans ahead unknown', () => {
    expect(mergePlaces([entry('e', 7)], [], NOW)).toEqual([
      { eventId: 'e', state: 'waiting', queueNumber: 7, ahead: null, paused: false, saleStartsAt: null },
    ]);
  });

  it('when a turn lapsed or passed its deadline, an admission ended or the queue sold out, the place is gone', () => {
    expect(
      mergePlaces(
        [entry('lapsed', 1), entry('late', 2), entry('ended', 3), entry('sold', 4)],
        [
          place('lapsed', { status: 'lapsed', queueNumber: 1 }),
          place('late', { status: 'turn', queueNumber: 2, claimBy: at(-1) }),
          place('ended', { status: 'admitted', queueNumber: 3, admissionExpiresAt: at(-1) }),
          place('sold', { queueNumber: 4, soldOut: true }),
        ],
        NOW,
      ),
    ).toEqual([]);
  });
});
