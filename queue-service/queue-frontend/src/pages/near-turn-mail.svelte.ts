import { answer, errorMessage, isApiError, queueApi } from '@ticketslave/ui';
import type { components } from '@ticketslave/contracts/api/queue';

export type NearTurnMailAnswer = components['schemas']['NearTurnMail'];

/**
 * "E-mail me when I'm nearly there" (issue 20.8): the fan's opt-in for this place, off by
 * default, read and changed through queue's API by session. `answer` stays null while the
 * queue has no place of the fan's (404: numbers not drawn or not arrived yet); the page
 * then shows no checkbox and asks again when its number appears.
 */
export class NearTurnMail {
  answer = $state<NearTurnMailAnswer | null>(null);
  saving = $state(false);
  error = $state<string | null>(null);

  constructor(readonly eventId: string) {}

  async load(): Promise<void> {
    try {
      this.answer = await answer(
        queueApi.GET('/queue/api/events/{id}/near-turn-mail', { params: { path: { id: this.eventId } } }),
      );
    } catch (e) {
      // No place yet, or not signed in: no checkbox. Anything else is worth saying.
      if (!(isApiError(e) && (e.status === 404 || e.status === 401))) this.error = errorMessage(e);
    }
  }

  async set(enabled: boolean): Promise<void> {
    this.saving = true;
    this.error = null;
    try {
      this.answer = await answer(
        queueApi.PUT('/queue/api/events/{id}/near-turn-mail', {
          params: { path: { id: this.eventId } },
          body: { enabled },
        }),
      );
    } catch (e) {
      this.error = errorMessage(e);
    } finally {
      this.saving = false;
    }
  }
}
