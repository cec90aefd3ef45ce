import { ManualClock, type PartitionProgress } from '@ticketslave/common';
import { AuthorizationHorizon } from './holds';

const T0 = Date.parse('2027-01-01T12:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);

/** A topic of two partitions whose ends and group offsets the test moves. */
function topic() {
  const parts: PartitionProgress[] = [
    { partition: 0, end: 0, done: 0 },
    { partition: 1, end: 0, done: 0 },
  ];
  let down = false;
  return {
    parts,
    fail: (v: boolean) => (down = v),
    read: async () => {
      if (down) throw new Error('broker down');
      return parts.map((p) => ({ ...p }));
    },
  };
}

describe('AuthorizationHorizon', () => {
  it('is now while the group has read every authorization', async () => {
    const clock = new ManualClock(T0);
    const t = topic();
    const h = new AuthorizationHorizon(t.read, clock);
    expect(await h.horizon()).toEqual(at(0));
    clock.advance(5000);
    expect(await h.horizon()).toEqual(at(5));
  });

  it('stays where the group last read everything while an authorization waits unread', async () => {
    const clock = new ManualClock(T0);
    const t = topic();
    const h = new AuthorizationHorizon(t.read, clock);
    await h.horizon();
    t.parts[1]!.end = 1; // published at 0 s, not read
    clock.advance(60_000);
    expect(await h.horizon()).toEqual(at(0));
    clock.advance(60_000);
    expect(await h.horizon()).toEqual(at(0));
    t.parts[1]!.done = 1;
    expect(await h.horizon()).toEqual(at(120));
  });

  it('moves on under constant lag: to the last reading whose ends the group has since passed', async () => {
    const clock = new ManualClock(T0);
    const t = topic();
    const h = new AuthorizationHorizon(t.read, clock);
    // Every second 10 messages arrive on partition 0; the group stays 15 behind (1.5 s).
    for (let s = 1; s <= 10; s++) {
      clock.set(at(s));
      t.parts[0]!.end = s * 10;
      t.parts[0]!.done = Math.max(0, s * 10 - 15);
      await h.horizon();
    }
    // At 10 s the group is at offset 85: past the ends read at 8 s (80), not those of 9 s (90).
    expect(await h.horizon()).toEqual(at(8));
  });

  it('has no horizon before a first reading, and keeps its last one while the broker does not answer', async () => {
    const clock = new ManualClock(T0);
    const t = topic();
    t.parts[0]!.end = 3;
    const h = new AuthorizationHorizon(t.read, clock);
    expect(await h.horizon()).toBeNull();
    t.parts[0]!.done = 3;
    clock.advance(1000);
    expect(await h.horizon()).toEqual(at(1));
    t.fail(true);
    clock.advance(30_000);
    expect(await h.horizon()).toEqual(at(1));
  });

  it('keeps its last horizon when a reading does not answer in time, without waiting for it', async () => {
    const clock = new ManualClock(T0);
    const t = topic();
    let hang = false;
    const h = new AuthorizationHorizon(
      () => (hang ? new Promise<PartitionProgress[]>(() => undefined) : t.read()),
      clock,
      600,
      50,
    );
    expect(await h.horizon()).toEqual(at(0));
    hang = true;
    clock.advance(10_000);
    const began = Date.now();
    expect(await h.horizon()).toEqual(at(0));
    expect(Date.now() - began).toBeLessThan(1000);
  });
});
