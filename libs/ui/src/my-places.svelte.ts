import { isApiError } from './api';
import { answer, bufferApi, queueApi } from './api-client';
import { mergePlaces, type MyPlace, type QueuePlace } from './my-places';

const CHANGED = 'ticketslave:places-changed';

/** Tells every `MyPlacesFeed` of this page to refresh now (the waiting room calls it after a join). */
export function placesChanged(): void {
  if (typeof window !== 'undefined') window.dispatchEvent(new Event(CHANGED));
}

/**
 * The fan's places, kept fresh while the page is visible: the buffer's entries and the
 * queue's places, polled like the queue page's `/me` fallback (a socket per event would
 * count as the fan's presence in each queue, which "My queues" is not). A hidden tab
 * stops polling and refreshes as soon as it is shown again.
 */
export class MyPlacesFeed {
  places = $state<MyPlace[] | undefined>(undefined);
  error = $state<Error | null>(null);
  /** When the last answer arrived (ms), for "updated …" and tests. */
  updatedAt = $state<number | null>(null);

  async refresh(signal?: AbortSignal): Promise<void> {
    try {
      const [entries, queue] = await Promise.all([
        answer(bufferApi.GET('/buffer/api/entries/me', { signal })),
        // Without the queue's view the buffer's numbers still stand (fans ahead unknown).
        answer(queueApi.GET('/queue/api/places/me', { signal })).catch(
          (e: unknown): { places: QueuePlace[] } => {
            if (isApiError(e) && (e.status === 0 || e.status >= 500)) return { places: [] };
            throw e;
          },
        ),
      ]);
      this.places = mergePlaces(entries.entries, queue.places);
      this.error = null;
      this.updatedAt = Date.now();
    } catch (e) {
      if (signal?.aborted) return;
      this.error = e instanceof Error ? e : new Error(String(e));
    }
  }

  /**
   * Polls every `everyMs` while the document is visible, and at once when the page says a
   * place changed (`placesChanged`); returns the stop function (for an `$effect`).
   */
  start(everyMs: number): () => void {
    const controller = new AbortController();
    const tick = () => {
      if (document.visibilityState === 'visible') void this.refresh(controller.signal);
    };
    void this.refresh(controller.signal);
    const timer = setInterval(tick, everyMs);
    document.addEventListener('visibilitychange', tick);
    window.addEventListener(CHANGED, tick);
    return () => {
      controller.abort();
      clearInterval(timer);
      document.removeEventListener('visibilitychange', tick);
      window.removeEventListener(CHANGED, tick);
    };
  }
}
