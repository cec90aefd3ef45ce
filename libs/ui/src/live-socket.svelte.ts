/**
 * A WebSocket that stays connected: typed JSON messages (a union on `type`),
 * reconnects with jittered exponential backoff, gives up on the close codes that
 * mean "reconnecting will not help", and polls over HTTP while it is down.
 */

export type LiveStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** What `ConnectionStatus` shows. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

/** 4401 unauthenticated, 4403 forbidden, 4404 no such event, 4409 replaced by a newer tab, 4410 turn lapsed. */
export const TERMINAL_CLOSE_CODES: readonly number[] = [4401, 4403, 4404, 4409, 4410];

export interface LiveSocketOptions<In extends { type: string }> {
  /** Absolute ws(s):// URL or a path (`/queue/ws?event=1`) on the current host. */
  url: string;
  onMessage: (message: In) => void;
  onOpen?: () => void;
  onClose?: (event: CloseEvent) => void;
  /** Called every `pollIntervalMs` while the socket is not open (HTTP fallback). */
  poll?: () => unknown;
  pollIntervalMs?: number;
  /** First retry delay ceiling; doubles per attempt up to `maxBackoffMs`. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  terminalCloseCodes?: readonly number[];
}

export function toWebSocketUrl(url: string, base: Location | URL = location): string {
  if (/^wss?:\/\//i.test(url)) return url;
  const absolute = new URL(url, base.href);
  absolute.protocol = absolute.protocol === 'https:' ? 'wss:' : 'ws:';
  return absolute.href;
}

/** Full jitter: uniformly in [floor, min(cap, base·2^attempt)], so a crowd spreads out. */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  const floor = Math.min(250, ceiling);
  return Math.round(floor + random() * (ceiling - floor));
}

export class LiveSocket<In extends { type: string }, Out = unknown> {
  status = $state<LiveStatus>('closed');
  /** Close code of the last disconnect (null before any). */
  lastCloseCode = $state<number | null>(null);
  lastCloseReason = $state('');
  /** Failed attempts since the last successful open. */
  attempts = $state(0);
  /** When the next reconnect attempt is scheduled, while reconnecting. */
  nextRetryAt = $state<Date | null>(null);
  online = $state(typeof navigator === 'undefined' ? true : navigator.onLine);

  readonly #options: Required<Omit<LiveSocketOptions<In>, 'poll' | 'onOpen' | 'onClose'>> &
    Pick<LiveSocketOptions<In>, 'poll' | 'onOpen' | 'onClose'>;
  #ws: WebSocket | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #pollTimer: ReturnType<typeof setInterval> | null = null;
  #polling = false;
  #stopped = true;
  #removeListeners: (() => void) | null = null;

  constructor(options: LiveSocketOptions<In>) {
    this.#options = {
      pollIntervalMs: 10_000,
      baseBackoffMs: 1000,
      maxBackoffMs: 15_000,
      terminalCloseCodes: TERMINAL_CLOSE_CODES,
      ...options,
    };
  }

  get connection(): ConnectionState {
    if (!this.online) return 'offline';
    switch (this.status) {
      case 'open':
        return 'connected';
      case 'connecting':
        return 'connecting';
      case 'reconnecting':
        return 'reconnecting';
      case 'closed':
        return 'offline';
    }
  }

  /** True when the server closed with a code that ends reconnecting (see TERMINAL_CLOSE_CODES). */
  get terminated(): boolean {
    return this.status === 'closed' && this.lastCloseCode !== null && this.#options.terminalCloseCodes.includes(this.lastCloseCode);
  }

  connect(): void {
    this.#stopped = false;
    this.#listen();
    this.#open();
  }

  /** Closes for good (page leaving, or the caller is done). */
  close(code = 1000, reason = 'client closing'): void {
    this.#stopped = true;
    this.#clearRetry();
    this.#stopPolling();
    this.#removeListeners?.();
    this.#removeListeners = null;
    const ws = this.#ws;
    this.#ws = null;
    if (ws && ws.readyState < WebSocket.CLOSING) ws.close(code, reason);
    this.status = 'closed';
  }

  /** Sends a JSON message; false if the socket is not open. */
  send(message: Out): boolean {
    if (this.#ws?.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(JSON.stringify(message));
    return true;
  }

  #open(): void {
    this.#clearRetry();
    this.status = this.attempts === 0 && this.lastCloseCode === null ? 'connecting' : 'reconnecting';
    let ws: WebSocket;
    try {
      ws = new WebSocket(toWebSocketUrl(this.#options.url));
    } catch {
      this.#scheduleReconnect();
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      if (this.#ws !== ws) return;
      this.attempts = 0;
      this.nextRetryAt = null;
      this.status = 'open';
      this.#stopPolling();
      this.#options.onOpen?.();
    };
    ws.onmessage = (event: MessageEvent) => {
      if (this.#ws !== ws || typeof event.data !== 'string') return;
      let message: unknown;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message && typeof message === 'object' && typeof (message as { type?: unknown }).type === 'string') {
        this.#options.onMessage(message as In);
      }
    };
    ws.onclose = (event: CloseEvent) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.lastCloseCode = event.code;
      this.lastCloseReason = event.reason;
      this.#options.onClose?.(event);
      if (this.#stopped) {
        this.status = 'closed';
      } else if (this.#options.terminalCloseCodes.includes(event.code)) {
        this.#stopped = true;
        this.#stopPolling();
        this.status = 'closed';
      } else {
        this.#scheduleReconnect();
      }
    };
    // Errors are always followed by close; the close handler decides what to do.
    ws.onerror = () => {};
  }

  #scheduleReconnect(): void {
    if (this.#stopped) return;
    this.status = 'reconnecting';
    this.#startPolling();
    const delay = backoffDelay(this.attempts, this.#options.baseBackoffMs, this.#options.maxBackoffMs);
    this.attempts += 1;
    this.nextRetryAt = new Date(Date.now() + delay);
    this.#retryTimer = setTimeout(() => this.#open(), delay);
  }

  #clearRetry(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.nextRetryAt = null;
  }

  #startPolling(): void {
    const { poll, pollIntervalMs } = this.#options;
    if (!poll || this.#pollTimer) return;
    const run = async () => {
      if (this.#polling) return;
      this.#polling = true;
      try {
        await poll();
      } catch {
        // The fallback is best effort; the next tick tries again.
      } finally {
        this.#polling = false;
      }
    };
    void run();
    this.#pollTimer = setInterval(() => void run(), pollIntervalMs);
  }

  #stopPolling(): void {
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    this.#pollTimer = null;
  }

  #listen(): void {
    if (this.#removeListeners || typeof window === 'undefined') return;
    // Coming back online or to the tab: retry now instead of waiting out the backoff.
    const retryNow = () => {
      if (!this.#stopped && this.#retryTimer) {
        this.attempts = 0;
        this.#open();
      }
    };
    const onOnline = () => {
      this.online = true;
      retryNow();
    };
    const onOffline = () => {
      this.online = false;
    };
    const onVisible = () => {
      if (document.visibilityState === 'visible') retryNow();
    };
    window.addEventListener('online', onOnline);
    window.addEventListener('offline', onOffline);
    document.addEventListener('visibilitychange', onVisible);
    this.#removeListeners = () => {
      window.removeEventListener('online', onOnline);
      window.removeEventListener('offline', onOffline);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }
}
