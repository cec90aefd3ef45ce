import { OffsetWatermarks } from './offset-watermarks';

describe('OffsetWatermarks', () => {
  it('commits only up to the first message not finished, however many after it are done', () => {
    const marks = new OffsetWatermarks();
    const tracks = [10n, 11n, 12n, 13n].map((o) => [marks.started('t', 0, o), o] as const);
    // 11, 12 and 13 finish while 10 (a slow capture) still runs: nothing may be committed.
    for (const [track, o] of tracks.slice(1)) expect(marks.finished(track, o)).toBe(false);
    expect(marks.takeDue()).toEqual([]);
    // 10 finishes: everything up to 13 is done, the next to read is 14.
    const [track10] = tracks[0]!;
    expect(marks.finished(track10, 10n)).toBe(true);
    const due = marks.takeDue();
    expect(due).toEqual([{ topic: 't', partition: 0, offset: '14' }]);
    marks.committedUpTo(due);
    expect(marks.takeDue()).toEqual([]);
  });

  it('keeps partitions apart and never commits backwards after a restart', () => {
    const marks = new OffsetWatermarks();
    const a = marks.started('t', 0, 5n);
    const b = marks.started('t', 1, 7n);
    marks.finished(b, 7n);
    marks.finished(a, 5n);
    const due = marks.takeDue();
    expect(due).toEqual(
      expect.arrayContaining([
        { topic: 't', partition: 0, offset: '6' },
        { topic: 't', partition: 1, offset: '8' },
      ]),
    );
    marks.committedUpTo(due);
    // A new generation fetches partition 0 again from 6; an old message finishing late (5 again,
    // delivered twice) must not move the commit back.
    marks.restartAll();
    const again = marks.started('t', 0, 5n);
    expect(marks.finished(again, 5n)).toBe(false);
    expect(marks.takeDue()).toEqual([]);
    const next = marks.started('t', 0, 6n);
    expect(marks.finished(next, 6n)).toBe(true);
    expect(marks.takeDue()).toEqual([{ topic: 't', partition: 0, offset: '7' }]);
  });

  it('after a failed message restarts its partition, the old tracking cannot commit past the failure', () => {
    const marks = new OffsetWatermarks();
    const t1 = marks.started('t', 0, 1n);
    const t2 = marks.started('t', 0, 2n);
    const t3 = marks.started('t', 0, 3n);
    marks.finished(t1, 1n);
    expect(marks.takeDue()).toEqual([{ topic: 't', partition: 0, offset: '2' }]);
    // 2 failed: read again from 2. 3 (started before) finishes on the old tracking.
    marks.restart('t', 0);
    expect(marks.finished(t3, 3n)).toBe(false);
    expect(marks.takeDue()).toEqual([]);
    expect(t2.running).toEqual([2n, 3n]);
  });
});
