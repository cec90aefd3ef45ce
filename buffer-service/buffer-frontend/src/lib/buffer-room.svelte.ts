import { api, isApiError, LiveSocket, loginUrl } from '@ticketslave/ui';

export type BufferState = 'open' | 'closing' | 'closed';

/** GET /buffer/api/events/:id */
export interface BufferInfo {
  eventId: string;
  state: BufferState;
  closesAt: string;
  commitment: string;
  cancelled: boolean;
  entrants: number;
  total?: number;
}

/** GET /buffer/api/events/:id/entries/me */
export interface MyEntry {
  eventId: string;
  joinedAt: string;
  late: boolean;
  queueNumber: number | null;
}

/** What `/buffer/ws` pushes (see buffer-backend/src/ws/buffer-socket.ts). */
export type BufferMessage =
  { type: 'state'; state: BufferState; closesAt: string; total: number | null } | { type: 'assigned' };

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
  /** The signed join receipt (a compact JWS), once this page has joined or asked again. */
  receipt = $state<string | null>(null);
  readonly socket: LiveSocket<BufferMessage>;

  constructor(readonly eventId: string) {
    this.socket = new LiveSocket<BufferMessage>({
      url: `/buffer/ws?event=${encodeURIComponent(eventId)}`,
      onMessage: (m) => this.#onMessage(m),
      onOpen: () => void this.refresh(),
      poll: () => this.refresh(),
      pollIntervalMs: 5000,
    });
  }

  get base(): string {
    return `/buffer/api/events/${encodeURIComponent(this.eventId)}`;
  }

  get fairnessUrl(): string {
    return `${location.origin}${this.base}/fairness`;
  }

  start(): () => void {
    void this.refresh();
    this.socket.connect();
    return () => this.socket.close();
  }

  async refresh(): Promise<void> {
    await Promise.all([this.loadInfo(), this.loadEntry()]);
  }

  async loadInfo(): Promise<void> {
    try {
      this.info = await api<BufferInfo>(this.base);
      this.infoError = null;
    } catch (e) {
      this.infoError = e;
    }
  }

  /** Reading my entry is also what sets the queue ticket cookie once I have a number. */
  async loadEntry(): Promise<void> {
    try {
      this.entry = await api<MyEntry>(`${this.base}/entries/me`);
      this.entryStatus = 'joined';
    } catch (e) {
      if (isApiError(e) && e.status === 404) this.entryStatus = 'not-joined';
      else if (isApiError(e) && e.status === 401) this.entryStatus = 'anonymous';
      else if (this.entryStatus === 'unknown') this.entryStatus = 'not-joined';
    }
  }

  async join(): Promise<void> {
    this.joining = true;
    this.joinError = null;
    try {
      const res = await api<{ entry: MyEntry; receipt: string }>(`${this.base}/entries`, {
        method: 'POST',
        body: {},
      });
      this.entry = res.entry;
      this.receipt = res.receipt;
      this.entryStatus = 'joined';
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
   * Saves my join receipt as a JSON file. Joining is idempotent, so asking again
   * returns the same entry with a receipt signed by the buffer's published key.
   */
  async downloadReceipt(): Promise<void> {
    if (!this.receipt) {
      const res = await api<{ entry: MyEntry; receipt: string }>(`${this.base}/entries`, {
        method: 'POST',
        body: {},
      });
      this.entry = res.entry;
      this.receipt = res.receipt;
    }
    const file = {
      kind: 'ticketslave-join-receipt',
      eventId: this.eventId,
      joinedAt: this.entry?.joinedAt,
      receipt: this.receipt,
      verifyWith: `${location.origin}/buffer/.well-known/jwks.json`,
      fairness: this.fairnessUrl,
      note: 'A JWS signed by the buffer: sub = your user id, evt = event, jat = when you joined, eh = your entrant hash in the fairness document.',
    };
    const url = URL.createObjectURL(new Blob([JSON.stringify(file, null, 2)], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `join-receipt-${this.eventId}.json`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  #onMessage(m: BufferMessage): void {
    switch (m.type) {
      case 'state':
        if (this.info)
          this.info = {
            ...this.info,
            state: m.state,
            closesAt: m.closesAt,
            ...(m.total !== null ? { total: m.total } : {}),
          };
        else void this.loadInfo();
        return;
      case 'assigned':
        if (this.entryStatus === 'joined' && this.entry?.queueNumber == null) void this.loadEntry();
        return;
    }
  }
}
