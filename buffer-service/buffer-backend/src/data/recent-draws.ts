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
    {
      draw: RecentDraw;
      documentStored: boolean;
      publishedAll: boolean;
      addedAt: number;
      timer: NodeJS.Timeout;
    }
  >();

  constructor(private readonly keepMs = 10 * 60_000) {}

  /**
   * True while this instance still publishes the numbers its own close wrote, for at most
   * `maxMs` after the close (another instance may have taken the publishing over): the close's
   * instance builds the fairness document after the fans' numbers are out, not while they go
   * out (both take the event loop for seconds at a million entrants).
   */
  publishing(eventId: string, maxMs = 60_000): boolean {
    const held = this.draws.get(eventId);
    return !!held && !held.publishedAll && Date.now() - held.addedAt < maxMs;
  }

  add(eventId: string, draw: RecentDraw): void {
    this.forget(eventId);
    const timer = setTimeout(() => this.draws.delete(eventId), this.keepMs);
    timer.unref();
    this.draws.set(eventId, { draw, documentStored: false, publishedAll: false, addedAt: Date.now(), timer });
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
    if (held.documentStored) this.forget(eventId);
  }

  private forget(eventId: string): void {
    const held = this.draws.get(eventId);
    if (!held) return;
    clearTimeout(held.timer);
    this.draws.delete(eventId);
  }
}
