/**
 * Which offsets a consumer may commit when it finishes messages out of order: per partition,
 * the offset after the longest run of finished messages from the first one started. A
 * message still running (or failed) holds the commit below it however many after it are
 * done, so a crash or a rebalance delivers it again (at least once), never skips it.
 *
 * A commit never goes backwards: a partition whose tracking restarted (a new group
 * generation, a seek back after a failure) keeps the highest offset committed so far.
 */
export class OffsetWatermarks {
  private tracks = new Map<string, Track>();
  private readonly committed = new Map<string, bigint>();
  private readonly due = new Map<string, bigint>();

  /** Starts tracking `offset` (offsets of one partition are started in order). */
  started(topic: string, partition: number, offset: bigint): Track {
    const key = keyOf(topic, partition);
    let track = this.tracks.get(key);
    if (!track) this.tracks.set(key, (track = { key, running: [], finished: new Set() }));
    track.running.push(offset);
    return track;
  }

  /** `offset` is done; returns whether a commit became due. */
  finished(track: Track, offset: bigint): boolean {
    track.finished.add(offset);
    let next: bigint | undefined;
    while (track.running.length > 0 && track.finished.has(track.running[0]!)) {
      const done = track.running.shift()!;
      track.finished.delete(done);
      next = done + 1n;
    }
    if (next === undefined) return false;
    const floor = this.committed.get(track.key) ?? -1n;
    if (next <= floor || next <= (this.due.get(track.key) ?? -1n)) return false;
    this.due.set(track.key, next);
    return true;
  }

  /** Forgets one partition's tracking (it will be fetched again from an earlier offset). */
  restart(topic: string, partition: number): void {
    this.tracks.delete(keyOf(topic, partition));
  }

  /** Forgets all tracking (a new group generation fetches again from the committed offsets). */
  restartAll(): void {
    this.tracks = new Map();
  }

  /** The commits due (offset = the next to read), taken: call `committedUpTo` once they succeed. */
  takeDue(): { topic: string; partition: number; offset: string }[] {
    const out = [...this.due].map(([key, next]) => {
      const [topic, partition] = splitKey(key);
      return { topic, partition, offset: next.toString() };
    });
    this.due.clear();
    return out;
  }

  committedUpTo(commits: { topic: string; partition: number; offset: string }[]): void {
    for (const c of commits) {
      const key = keyOf(c.topic, c.partition);
      const next = BigInt(c.offset);
      if (next > (this.committed.get(key) ?? -1n)) this.committed.set(key, next);
    }
  }
}

export interface Track {
  readonly key: string;
  /** Offsets started and not yet passed by the commit point, in order. */
  running: bigint[];
  /** Those of `running` already done. */
  finished: Set<bigint>;
}

const keyOf = (topic: string, partition: number) => `${partition}\u0000${topic}`;
const splitKey = (key: string): [string, number] => {
  const i = key.indexOf('\u0000');
  return [key.slice(i + 1), Number(key.slice(0, i))];
};
