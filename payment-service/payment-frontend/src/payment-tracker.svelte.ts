import type { OrderFeedMessage } from '@ticketslave/contracts';
import { isApiError, LiveSocket, type ApiError } from '@ticketslave/ui';
import { confirmReturn, getPayment, getPurchaseOrder, type PaymentView } from './payment-api';

/** Statuses after which nothing changes without someone acting. */
const SETTLED = new Set(['captured', 'voided', 'refunded', 'expired', 'failed']);
/**
 * Purchase pushes the order's changes (`/purchase/ws/orders`): the page hears "tickets issued"
 * the moment it is committed. Polling stays as the fallback: every 250 ms for the first 10 s
 * while the push is not connected (the tickets are issued ~0.1–0.5 s after the card is paid:
 * bench:onsale's money path), else every 1.5 s. bench/onsale/simulate.ts follows an order alike.
 */
const QUICK_POLL_MS = 250;
const QUICK_FOR_MS = 10_000;
const POLL_MS = 1500;
/** After this, the page says it is taking long but keeps polling (webhooks can be retried late). */
const PATIENCE_MS = 60_000;

/**
 * Follows one order's payment. Right after the hold the order may not have reached
 * payment yet (a 404 for a moment), and after Stripe's redirect the webhook and
 * purchase's confirmation take a moment more: in both cases the page polls.
 */
export class PaymentTracker {
  view = $state<PaymentView | null>(null);
  error = $state<ApiError | Error | null>(null);
  loading = $state(true);
  slow = $state(false);
  /**
   * Purchase issued the tickets (the order is confirmed or paid) while the capture is still
   * under way: purchase issues them when the card is authorized, and payment captures after.
   */
  ticketsReady = $state(false);

  #timer: ReturnType<typeof setTimeout> | undefined;
  #feed: LiveSocket<OrderFeedMessage> | null = null;
  #startedAt = Date.now();
  #stopped = false;
  /** Back from Stripe: the first read asks payment to confirm the checkout with Stripe now. */
  #returning: boolean;

  constructor(
    private readonly orderId: string,
    /** Keep polling while the fan is back from paying and the outcome is not settled. */
    private readonly awaitingOutcome: boolean,
  ) {
    this.#returning = awaitingOutcome;
  }

  start(): () => void {
    if (this.awaitingOutcome) this.#follow();
    void this.refresh();
    return () => {
      this.#stopped = true;
      clearTimeout(this.#timer);
      this.#feed?.close();
    };
  }

  /** Opens the order's push feed; each change it announces is read at once. */
  #follow(): void {
    if (this.#feed || this.#stopped) return;
    this.#feed = new LiveSocket<OrderFeedMessage>({
      url: `/purchase/ws/orders?order=${encodeURIComponent(this.orderId)}`,
      onMessage: (m) => {
        if (m.type !== 'order') return;
        if (m.status === 'confirmed' || m.status === 'paid') this.ticketsReady = true;
        void this.refresh();
      },
    });
    this.#feed.connect();
  }

  async refresh(): Promise<void> {
    clearTimeout(this.#timer);
    let again = false;
    try {
      const returning = this.#returning;
      // Once: if it fails, the page goes on reading (the webhook authorizes the payment anyway).
      this.#returning = false;
      this.view = returning ? await confirmReturn(this.orderId) : await getPayment(this.orderId);
      this.error = null;
      // An authorization settles within seconds (purchase secures the seats), so follow it even on a plain reload.
      again = !SETTLED.has(this.view.status) && (this.awaitingOutcome || this.view.status === 'authorized');
      if (again) this.#follow();
      else this.#feed?.close();
      if (this.view.status === 'authorized' && !this.ticketsReady) {
        const order = await getPurchaseOrder(this.orderId).catch(() => null);
        this.ticketsReady = order?.status === 'confirmed' || order?.status === 'paid';
      }
    } catch (e) {
      const notYet = isApiError(e) && e.status === 404 && Date.now() - this.#startedAt < 20_000;
      if (!notYet) this.error = e instanceof Error ? e : new Error(String(e));
      again = notYet || (isApiError(e) && (e.status === 0 || e.status >= 500));
    } finally {
      this.loading = false;
    }
    this.slow = again && Date.now() - this.#startedAt > PATIENCE_MS;
    if (again && !this.#stopped) {
      const quick = this.#feed?.status !== 'open' && Date.now() - this.#startedAt < QUICK_FOR_MS;
      this.#timer = setTimeout(() => void this.refresh(), quick ? QUICK_POLL_MS : POLL_MS);
    }
  }
}
