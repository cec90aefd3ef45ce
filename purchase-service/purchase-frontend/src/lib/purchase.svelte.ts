import { api, LiveSocket, Resource } from '@ticketslave/ui';
import type { Order, SeatChar, SeatMap, SeatsMessage } from './types';

const CHAR = { available: 'a', held: 'h', sold: 's' } as const;

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
  readonly socket: LiveSocket<SeatsMessage>;

  constructor(readonly eventId: string) {
    this.map = new Resource(async (signal) => {
      const m = await api<SeatMap>(`/purchase/api/events/${eventId}/seatmap`, { signal });
      const rows: Record<string, string> = {};
      for (const s of m.sections)
        for (const r of s.rows) rows[`${s.categoryId}/${s.name}/${r.label}`] = r.seats;
      this.rows = rows;
      return m;
    });
    this.socket = new LiveSocket<SeatsMessage>({
      url: `/purchase/ws?event=${encodeURIComponent(eventId)}`,
      onMessage: (msg) => {
        if (msg.type === 'seats') this.apply(msg.changes);
      },
      // Without the socket the map still refreshes, just less often.
      poll: () => this.map.reload(),
      pollIntervalMs: 10_000,
    });
    void this.loadOrder();
  }

  /** Patches the map with live changes and drops selected seats someone else just took. */
  apply(changes: [string, keyof typeof CHAR][]): void {
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
      const { orders } = await api<{ orders: Order[] }>('/purchase/api/orders');
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

  async hold(body: { seats: string[] } | { categoryId: string; quantity: number }): Promise<Order> {
    const order = await api<Order>(`/purchase/api/events/${this.eventId}/holds`, { method: 'POST', body });
    this.order = order;
    this.selected = [];
    this.gaQuantities = {};
    return order;
  }

  async release(): Promise<void> {
    if (!this.order) return;
    await api(`/purchase/api/orders/${this.order.orderId}/hold`, { method: 'DELETE' });
    this.order = null;
    await this.map.reload();
  }
}
