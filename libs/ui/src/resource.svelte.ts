import { untrack } from 'svelte';
import { ApiError, isApiError } from './api';

export type ResourceState = 'loading' | 'ready' | 'error';

/**
 * Loading/ready/error state for one request, so every page renders the same three
 * states the same way:
 *
 *   const events = new Resource(async (signal) => (await answer(feedApi.GET('/feed/api/events', { signal }))).items);
 *   {#if events.state === 'loading'} <Spinner/> {:else if events.error} <ErrorState error={events.error} onretry={() => events.reload()}/> …
 */
export class Resource<T> {
  data = $state<T | undefined>(undefined);
  error = $state<ApiError | Error | null>(null);
  state = $state<ResourceState>('loading');
  /** True while reloading with data already shown. */
  refreshing = $state(false);

  readonly #load: (signal: AbortSignal) => Promise<T>;
  #controller: AbortController | null = null;

  constructor(load: (signal: AbortSignal) => Promise<T>, { immediate = true }: { immediate?: boolean } = {}) {
    this.#load = load;
    if (immediate) void this.reload();
  }

  /**
   * Pages call this from an `$effect`: nothing it reads may become that effect's
   * dependency, or setting `data` would rerun the effect and reload for ever.
   */
  reload(): Promise<void> {
    return untrack(() => this.#reload());
  }

  async #reload(): Promise<void> {
    this.#controller?.abort();
    const controller = new AbortController();
    this.#controller = controller;
    if (this.data === undefined) this.state = 'loading';
    else this.refreshing = true;
    try {
      const data = await this.#load(controller.signal);
      if (controller.signal.aborted) return;
      this.data = data;
      this.error = null;
      this.state = 'ready';
    } catch (e) {
      if (controller.signal.aborted) return;
      this.error = isApiError(e) || e instanceof Error ? e : new Error(String(e));
      this.state = 'error';
    } finally {
      if (this.#controller === controller) {
        this.refreshing = false;
        this.#controller = null;
      }
    }
  }

  abort(): void {
    this.#controller?.abort();
  }
}
