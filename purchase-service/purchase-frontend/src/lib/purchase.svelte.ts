import type { SeatFeedMessage, SeatState } from '@ticketslave/contracts';
import { answer, LiveSocket, purchaseApi, Resource } from '@ticketslave/ui';
import type { HoldSelection, Order, SeatChar, SeatMap } from './types';

const CHAR: Record<SeatState, SeatChar> = { available: 'a', held: 'h', sold: 's' };

/**
 * Everything the purchase page knows: the seat map (kept live over the WebSocket),
 * the fan's selection, and their current hold for this event, if any.
 */
export class PurchaseState {
  readonly map: Resource<SeatMap>;
  /** Row strings by `<category>/<section>/<row>`, patched by live updates. */
  rows = $state<Record<string, string>>({});
  selected = $state<string[]>([]);
  gaQuantities = $state<Record<string, number>>({});
  order = $state<Order | null>(null);
  /** The fan's purchase window (their admission): until when they may hold; null when not admitted. */
  window = $state<{ expiresAt: string; holdSeconds: number } | null>(null);
  readonly socket: LiveSocket<SeatFeedMessage>;

  constructor(readonly eventId: string) {
    this.map = new Resource(async (signal) => {
      const m = await answer(
        purchaseApi.GET('/purchase/api/events/{id}/seatmap', { params: { path: { id: eventId } }, signal }),
      );
      const rows: Record<string, string> = {};
      for (const s of m.sections)
        for (const r of s.rows) rows[`${s.categoryId}/${s.name}/${r.label}`] = r.seats;
      this.rows = rows;
      return m;
    });
    this.socket = new LiveSocket<SeatFeedMessage>({
      url: `/purchase/ws?event=${encodeURIComponent(eventId)}`,
      onMessage: (msg) => {
        if (msg.type === 'seats') this.apply(msg.changes);
      },
      // Without the socket the map still refreshes, just less often.
      poll: () => this.map.reload(),
      pollIntervalMs: 10_000,
    });
    void this.loadOrder();
    void this.loadWindow();
  }

  async loadWindow(): Promise<void> {
    try {
      this.window = await answer(
        purchaseApi.GET('/purchase/api/events/{id}/admission', { params: { path: { id: this.eventId } } }),
      );
    } catch {
      // Not admitted (or the admission ended): the hold answers why when the fan tries.
      this.window = null;
    }
  }

  /** Patches the map with live changes and drops selected seats someone else just took. */
  apply(changes: [string, SeatState][]): void {
    for (const [unitId, state] of changes) {
      const cut = unitId.lastIndexOf('/');
      const key = unitId.slice(0, cut);
      const n = Number(unitId.slice(cut + 1));
      const row = this.rows[key];
      if (row === undefined || !Number.isInteger(n)) continue;
      this.rows[key] = row.slice(0, n - 1) + CHAR[state] + row.slice(n);
      if (
        state !== 'available' &&
        this.selected.includes(unitId) &&
        !this.order?.items.some((i) => i.unitId === unitId)
      )
        this.selected = this.selected.filter((s) => s !== unitId);
    }
  }

  stateOf(unitId: string): SeatChar {
    const cut = unitId.lastIndexOf('/');
    return (this.rows[unitId.slice(0, cut)]?.[Number(unitId.slice(cut + 1)) - 1] ?? 's') as SeatChar;
  }

  toggle(unitId: string): void {
    this.selected = this.selected.includes(unitId)
      ? this.selected.filter((s) => s !== unitId)
      : [...this.selected, unitId];
  }

  async loadOrder(): Promise<void> {
    try {
      const { orders } = await answer(purchaseApi.GET('/purchase/api/orders'));
      this.order =
        orders.find(
          (o) =>
            o.eventId === this.eventId &&
            o.status === 'pending_payment' &&
            Date.parse(o.expiresAt) > Date.now(),
        ) ?? null;
    } catch {
      // Not logged in yet or the list failed: the page still shows the map.
      this.order = null;
    }
  }

  async hold(body: HoldSelection): Promise<Order> {
    const order = await answer(
      purchaseApi.POST('/purchase/api/events/{id}/holds', { params: { path: { id: this.eventId } }, body }),
    );
    this.order = order;
    this.selected = [];
    this.gaQuantities = {};
    return order;
  }

  async release(): Promise<void> {
    if (!this.order) return;
    await answer(
      purchaseApi.DELETE('/purchase/api/orders/{id}/hold', { params: { path: { id: this.order.orderId } } }),
    );
    this.order = null;
    await this.map.reload();
  }
}
