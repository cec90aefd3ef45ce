import type { SortedEntrants } from '../domain/ports';
import { decodeCopyText, type UserIds } from './close-copy';

/** What a close drew, as it read and drew it. */
export interface RecentDraw {
  entrants: SortedEntrants;
  users: UserIds;
  /** `order[k]` indexes (in hash order) the entrant with queue number k+1. */
  order: Uint32Array;
  /** User ids (COPY text) of the closing phase's late joiners: numbers total+1, total+2, … */
  late: Buffer[];
}

/**
 * The instance that ran a close keeps what it drew until the fairness document is stored and
 * every number it wrote is published, so neither reads the million rows it just wrote back
 * from PostgreSQL. Anything not held here (another instance's close, a restart, a late join
 * after the close) is read from the database as before; a backstop timer drops a draw whose
 * document or numbers another instance finished.
 */
export class RecentDraws {
  private readonly draws = new Map<
    string,
    { draw: RecentDraw; documentStored: boolean; publishedAll: boolean; timer: NodeJS.Timeout }
  >();

  /** Who waits for an event's numbers to be published (whenPublished). */
  private readonly waiters = new Map<string, (() => void)[]>();

  constructor(private readonly keepMs = 10 * 60_000) {}

  /**
   * Resolves once every number of the draw held here is published (or at once when none is
   * held, or after `maxWaitMs`): the close's own instance builds the fairness document after
   * the fans' numbers are out, not while they are (both take the event loop for seconds).
   */
  whenPublished(eventId: string, maxWaitMs = 60_000): Promise<void> {
    const held = this.draws.get(eventId);
    if (!held || held.publishedAll) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, maxWaitMs);
      timer.unref();
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.set(eventId, [...(this.waiters.get(eventId) ?? []), done]);
    });
  }

  private wake(eventId: string): void {
    for (const done of this.waiters.get(eventId) ?? []) done();
    this.waiters.delete(eventId);
  }

  add(eventId: string, draw: RecentDraw): void {
    this.forget(eventId);
    const timer = setTimeout(() => this.draws.delete(eventId), this.keepMs);
    timer.unref();
    this.draws.set(eventId, { draw, documentStored: false, publishedAll: false, timer });
  }

  entrants(eventId: string): SortedEntrants | undefined {
    return this.draws.get(eventId)?.draw.entrants;
  }

  /** User ids of queue numbers from+1 … upTo, when this close numbered all of them. */
  users(eventId: string, from: number, upTo: number): string[] | undefined {
    const held = this.draws.get(eventId)?.draw;
    if (!held) return undefined;
    const total = held.entrants.count;
    if (upTo > total + held.late.length) return undefined;
    const { bytes, ends } = held.users;
    const out = new Array<string>(upTo - from);
    for (let n = from + 1; n <= upTo; n++) {
      const k = n - 1;
      if (k < total) {
        const i = held.order[k]!;
        out[n - from - 1] = decodeCopyText(bytes.subarray(i === 0 ? 0 : ends[i - 1]!, ends[i]));
      } else out[n - from - 1] = decodeCopyText(held.late[k - total]!);
    }
    return out;
  }

  documentStored(eventId: string): void {
    const held = this.draws.get(eventId);
    if (!held) return;
    held.documentStored = true;
    if (held.publishedAll) this.forget(eventId);
  }

  published(eventId: string, upTo: number): void {
    const held = this.draws.get(eventId);
    if (!held || upTo < held.draw.entrants.count + held.draw.late.length) return;
    held.publishedAll = true;
    this.wake(eventId);
    if (held.documentStored) this.forget(eventId);
  }

  private forget(eventId: string): void {
    this.wake(eventId);
    const held = this.draws.get(eventId);
    if (!held) return;
    clearTimeout(held.timer);
    this.draws.delete(eventId);
  }
}
