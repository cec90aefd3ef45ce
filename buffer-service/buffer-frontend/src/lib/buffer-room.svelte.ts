import type { BufferSocketMessage } from '@ticketslave/contracts';
import { answer, apiHref, bufferApi, isApiError, LiveSocket, loginUrl, placesChanged } from '@ticketslave/ui';
import type { ReceiptFile } from '@ticketslave/draw';
import { downloadReceiptFile, keepReceipt, keptReceipt } from './receipt';
import type { components } from '@ticketslave/contracts/api/buffer';

/** GET /buffer/api/events/:id and GET …/entries/me, typed from buffer's OpenAPI document (`npm run contracts`). */
export type BufferInfo = components['schemas']['BufferState'];
export type BufferState = BufferInfo['state'];
export type MyEntry = components['schemas']['Entry'];

/** What `/buffer/ws` pushes (the contract the buffer backend sends through). */
export type BufferMessage = BufferSocketMessage;

/**
 * The buffer page's state: the buffer, my entry, live updates. Pushes are nudges;
 * every change is re-read over HTTP so the page never trusts a socket for my number.
 */
export class BufferRoom {
  info = $state<BufferInfo | null>(null);
  infoError = $state<unknown>(null);
  entry = $state<MyEntry | null>(null);
  /** 'unknown' until the first answer; 'anonymous' without a session. */
  entryStatus = $state<'unknown' | 'anonymous' | 'not-joined' | 'joined'>('unknown');
  joining = $state(false);
  joinError = $state<unknown>(null);
  /** The signed join receipt, kept in this browser since joining (or since asking again). */
  receipt = $state<ReceiptFile | null>(null);
  readonly socket: LiveSocket<BufferMessage>;
  /**
   * Solves one join challenge (the page's ALTCHA widget): every join request carries a fresh
   * proof of work, so a script pays for each fan it pretends to be.
   */
  proof: () => Promise<string> = () => Promise.reject(new Error('The bot check is not ready yet.'));
  /**
   * Reads overlap (the countdown's refresh at zero, the socket's nudge at the close, the poll):
   * an answer is applied only if no later-sent read was applied before it, so a slow read sent
   * before the close cannot put "no number yet" back over the number a later read brought.
   */
  #infoSent = 0;
  #infoApplied = 0;
  #entrySent = 0;
  #entryApplied = 0;
  /** One re-read is pending while the buffer is closed and my entry shows no number yet. */
  #entryRetry: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly eventId: string) {
    this.receipt = keptReceipt(eventId);
    this.socket = new LiveSocket<BufferMessage>({
      url: `/buffer/ws?event=${encodeURIComponent(eventId)}`,
      onMessage: (m) => this.#onMessage(m),
      onOpen: () => void this.refresh(),
      poll: () => this.refresh(),
      pollIntervalMs: 5000,
    });
  }

  get #event() {
    return { params: { path: { id: this.eventId } } };
  }

  get challengeUrl(): string {
    return apiHref(bufferApi, '/buffer/api/events/{id}/challenge', { path: { id: this.eventId } });
  }

  get fairnessUrl(): string {
    return `${location.origin}${apiHref(bufferApi, '/buffer/api/events/{id}/fairness', { path: { id: this.eventId } })}`;
  }

  start(): () => void {
    void this.refresh();
    this.socket.connect();
    return () => {
      clearTimeout(this.#entryRetry);
      this.socket.close();
    };
  }

  async refresh(): Promise<void> {
    await Promise.all([this.loadInfo(), this.loadEntry()]);
  }

  async loadInfo(): Promise<void> {
    const sent = ++this.#infoSent;
    try {
      const info = await answer(bufferApi.GET('/buffer/api/events/{id}', this.#event));
      if (sent < this.#infoApplied) return;
      this.#infoApplied = sent;
      this.info = info;
      this.infoError = null;
      this.#awaitNumber();
    } catch (e) {
      if (sent < this.#infoApplied) return;
      this.infoError = e;
    }
  }

  /** Reading my entry is also what sets the queue ticket cookie once I have a number. */
  async loadEntry(): Promise<void> {
    const sent = ++this.#entrySent;
    try {
      const entry = await answer(bufferApi.GET('/buffer/api/events/{id}/entries/me', this.#event));
      if (sent < this.#entryApplied) return;
      this.#entryApplied = sent;
      this.entry = entry;
      this.entryStatus = 'joined';
      // A number exists only once the close committed: a buffer still read as open or closing
      // (its read crossed the close, the push not here yet) is read again, so the page says
      // "closed, N fans shuffled" beside the number rather than a spinner.
      if (entry.queueNumber != null && this.info && this.info.state !== 'closed') void this.loadInfo();
      this.#awaitNumber();
    } catch (e) {
      if (sent < this.#entryApplied) return;
      if (isApiError(e) && e.status === 404) this.entryStatus = 'not-joined';
      else if (isApiError(e) && e.status === 401) this.entryStatus = 'anonymous';
      else if (this.entryStatus === 'unknown') this.entryStatus = 'not-joined';
    }
  }

  async join(): Promise<void> {
    this.joining = true;
    this.joinError = null;
    try {
      const res = await this.#enter();
      this.entry = res.entry;
      this.receipt = await keepReceipt(this.eventId, res.receipt);
      this.entryStatus = 'joined';
      placesChanged();
      // A late joiner already has a number; reading it back sets the ticket cookie.
      if (res.entry.queueNumber !== null) await this.loadEntry();
    } catch (e) {
      if (isApiError(e) && e.status === 401) {
        location.assign(loginUrl());
        return;
      }
      this.joinError = e;
    } finally {
      this.joining = false;
    }
  }

  /**
   * "Save my receipt": the receipt this browser kept, as a JSON file. Joining is idempotent,
   * so a browser that has none (another device) asks again and gets the same entry, signed.
   */
  async downloadReceipt(): Promise<void> {
    if (!this.receipt) {
      const res = await this.#enter();
      this.entry = res.entry;
      this.receipt = await keepReceipt(this.eventId, res.receipt);
    }
    downloadReceiptFile(this.receipt);
  }

  /** Joins (idempotent: a fan already in gets the same entry back), with a fresh proof of work. */
  async #enter() {
    const altcha = await this.proof();
    return answer(bufferApi.POST('/buffer/api/events/{id}/entries', { ...this.#event, body: { altcha } }));
  }

  /**
   * The buffer is closed but my entry still shows no number (a read that crossed the close):
   * read it again shortly, until it does. The number exists once the close committed.
   */
  #awaitNumber(): void {
    if (this.info?.state !== 'closed' || this.entryStatus !== 'joined' || this.entry?.queueNumber != null)
      return;
    if (this.#entryRetry) return;
    this.#entryRetry = setTimeout(() => {
      this.#entryRetry = undefined;
      void this.loadEntry();
    }, 2000);
  }

  #onMessage(m: BufferMessage): void {
    switch (m.type) {
      case 'state':
        // The push is newer than any read sent before it: those answers must not undo it.
        if (this.info) {
          this.#infoApplied = ++this.#infoSent;
          this.info = {
            ...this.info,
            state: m.state,
            closesAt: m.closesAt,
            ...(m.total !== null ? { total: m.total } : {}),
          };
        } else void this.loadInfo();
        this.#awaitNumber();
        return;
      case 'assigned':
        if (this.entryStatus === 'joined' && this.entry?.queueNumber == null) void this.loadEntry();
        return;
    }
  }
}
