import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONTROL_PREFIX, createControlHandler } from './control';
import { createHandler } from './http-handler';
import { Ledger, NO_REQUEST } from './ledger';
import {
  emptyState,
  StateFile,
  type DisputeObject,
  type EventRecord,
  type RefundObject,
  type StandInState,
} from './store';
import { DEFAULT_RETRY_POLICY, WebhookDispatcher, type RetryPolicy } from './webhooks';

/** The API version stamped on events; the one the bundled `stripe` SDK pins. */
export const STAND_IN_API_VERSION = '2026-10-28.endive';

export interface StripeStandInOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Where events are POSTed; without one they are recorded but not sent. */
  webhookUrl?: string;
  /** The endpoint's signing secret (`whsec_…`), as the receiver passes it to `constructEvent`. */
  webhookSecret: string;
  /** Base URL browsers use to reach the hosted checkout page, if not `http://host:port`. */
  publicBaseUrl?: string;
  /** JSON file keeping sessions, intents, events and idempotency keys across restarts. */
  dataFile?: string;
  webhookRetry?: Partial<RetryPolicy>;
  /**
   * Serve this handle over HTTP under `/_standin/` (dev/stripe/control.ts), for a stand-in in
   * its own process (`startStripeStandInProcess`). Off unless asked for.
   */
  control?: boolean;
  log?: (line: string) => void;
}

export interface StripeStandInSnapshot {
  sessions: StandInState['sessions'];
  paymentIntents: StandInState['paymentIntents'];
  charges: StandInState['charges'];
  refunds: StandInState['refunds'];
  disputes: StandInState['disputes'];
  events: EventRecord[];
}

/** Part of the state, for a big one (a 20,000-fan on-sale's events run to a hundred MB). */
export interface StateQuery {
  /** Only these parts; the others come back empty. */
  only?: (keyof StripeStandInSnapshot)[];
  /** Only events of these types. */
  eventTypes?: string[];
}

/**
 * The stand-in's handle: the same whether it runs in this process (`startStripeStandIn`) or in
 * its own (`startStripeStandInProcess`, over the control API), hence asynchronous throughout.
 */
export interface StripeStandIn {
  url: string;
  port: number;
  /** The process serving it, when it runs in one of its own (startStripeStandInProcess). */
  pid?: number;
  stop(): Promise<void>;
  setWebhookUrl(url: string | undefined): Promise<void>;
  /** Pays as the hosted page does; rejects with the decline message when the card is declined. */
  pay(sessionId: string, card?: string, cardholderName?: string): Promise<void>;
  /**
   * A refund made in Stripe's dashboard: no metadata, no request of ours; emits `refund.created`
   * and `charge.refunded` like any refund. `amount` defaults to what is left.
   */
  refundFromDashboard(paymentIntentId: string, amount?: number): Promise<RefundObject>;
  /** The card holder's bank disputes a captured payment: `charge.dispute.created`. */
  dispute(paymentIntentId: string, opts?: { reason?: string; amount?: number }): Promise<DisputeObject>;
  /** Sends a past event again, same id and body, freshly signed. */
  replayEvent(eventId: string): Promise<void>;
  /** Resolves when no webhook delivery is queued or being retried. */
  webhooksIdle(): Promise<void>;
  /** A copy of sessions, intents, charges, refunds, disputes and events with their delivery status. */
  state(query?: StateQuery): Promise<StripeStandInSnapshot>;
  /** How many API requests arrived, by `METHOD /v1/path` (e.g. `GET /v1/payment_intents/pi_…`). */
  apiRequests(): Promise<Record<string, number>>;
  /**
   * Until called with null, every API request (`/v1/…`) is answered with this status and
   * Stripe's error body (429 `rate_limit_error`, 5xx `api_error`), as during an incident.
   */
  setOutage(status: 429 | 500 | 503 | null): Promise<void>;
}

/** How long state changes are gathered before the data file is rewritten. */
const SAVE_DELAY_MS = 100;

export async function startStripeStandIn(opts: StripeStandInOptions): Promise<StripeStandIn> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? (() => undefined);
  const file = opts.dataFile ? new StateFile(opts.dataFile) : undefined;
  const state = file?.load() ?? emptyState();
  let webhookUrl = opts.webhookUrl;
  let baseUrl = '';

  let saveTimer: NodeJS.Timeout | undefined;
  let lastSaveMs = 0;
  const flush = () => {
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = undefined;
    if (!file) return;
    const started = performance.now();
    file.save(state);
    lastSaveMs = performance.now() - started;
  };
  // Saving rewrites the whole state (tens of MB after a big on-sale): wait at least ten
  // times as long as the last save took, so saving never takes more than a tenth of the
  // process (it shares the event loop with the API, webhooks and, in benches, the fans).
  const changed = () => {
    if (file && !saveTimer) saveTimer = setTimeout(flush, Math.max(SAVE_DELAY_MS, 10 * lastSaveMs));
  };

  const dispatcher = new WebhookDispatcher(
    () => webhookUrl,
    opts.webhookSecret,
    { ...DEFAULT_RETRY_POLICY, ...opts.webhookRetry },
    changed,
    log,
  );
  const ledger = new Ledger(
    state,
    STAND_IN_API_VERSION,
    () => (webhookUrl ? 1 : 0),
    (record) => {
      changed();
      dispatcher.enqueue(record);
    },
  );

  const handler = createHandler({
    ledger,
    apiVersion: STAND_IN_API_VERSION,
    hostedPageBase: () => opts.publicBaseUrl ?? baseUrl,
    changed,
    log,
  });
  let outage: 429 | 500 | 503 | null = null;
  const requests = new Map<string, number>();
  const control = opts.control ? createControlHandler(() => standIn) : undefined;
  const server = http.createServer((req, res) => {
    if (control && req.url?.startsWith(CONTROL_PREFIX)) {
      control(req, res).catch((err: unknown) => {
        log(`stripe stand-in: control ${req.url} failed: ${(err as Error).stack ?? String(err)}`);
        res.destroy();
      });
      return;
    }
    if (req.url?.startsWith('/v1/')) {
      const endpoint = `${req.method ?? 'GET'} ${req.url.split('?')[0]}`;
      requests.set(endpoint, (requests.get(endpoint) ?? 0) + 1);
    }
    if (outage !== null && req.url?.startsWith('/v1/')) {
      req.resume();
      res.writeHead(outage, { 'content-type': 'application/json', 'request-id': `req_outage_${Date.now()}` });
      res.end(
        JSON.stringify({
          error:
            outage === 429
              ? { type: 'rate_limit_error', message: 'Too many requests hit the API too quickly.' }
              : { type: 'api_error', message: 'An error occurred with our connection to Stripe.' },
        }),
      );
      return;
    }
    return handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  // Deliveries cut short by the last shutdown carry on, in their original order.
  for (const record of Object.values(state.events))
    if (record.delivery.status === 'pending') dispatcher.enqueue(record);

  const sweeper = setInterval(() => ledger.expireDueSessions(), 1000);
  sweeper.unref();

  const standIn: StripeStandIn = {
    url: baseUrl,
    port,
    async setWebhookUrl(url) {
      webhookUrl = url;
    },
    async pay(sessionId, card = '4242424242424242', cardholderName) {
      const attempt = ledger.attemptPayment(sessionId, card, cardholderName);
      changed();
      if (attempt.outcome !== 'paid')
        throw Object.assign(new Error(attempt.message), {
          code: attempt.outcome === 'declined' ? attempt.code : 'invalid_number',
        });
    },
    async refundFromDashboard(paymentIntentId, amount) {
      const refund = ledger.refund(paymentIntentId, amount, { reason: null, metadata: {} }, NO_REQUEST);
      changed();
      return structuredClone(refund);
    },
    async dispute(paymentIntentId, o = {}) {
      const dispute = ledger.dispute(paymentIntentId, o.reason, o.amount);
      changed();
      return structuredClone(dispute);
    },
    async replayEvent(eventId) {
      const record = state.events[eventId];
      if (!record) throw new Error(`No such event: '${eventId}'`);
      await dispatcher.resend(record);
    },
    webhooksIdle: () => dispatcher.idle(),
    async setOutage(status) {
      outage = status;
    },
    async state(query = {}) {
      const wanted = (part: keyof StripeStandInSnapshot) => !query.only || query.only.includes(part);
      const types = query.eventTypes ? new Set(query.eventTypes) : undefined;
      return structuredClone({
        sessions: wanted('sessions') ? state.sessions : {},
        paymentIntents: wanted('paymentIntents') ? state.paymentIntents : {},
        charges: wanted('charges') ? state.charges : {},
        refunds: wanted('refunds') ? state.refunds : {},
        disputes: wanted('disputes') ? state.disputes : {},
        events: wanted('events')
          ? Object.values(state.events).filter((e) => !types || types.has(e.event.type))
          : [],
      });
    },
    apiRequests: async () => Object.fromEntries(requests),
    async stop() {
      clearInterval(sweeper);
      await dispatcher.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      flush();
    },
  };
  return standIn;
}
