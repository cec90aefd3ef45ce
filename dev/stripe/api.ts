import { buildSession } from './create-session';
import { invalidParam, missingParam, resourceMissing } from './errors';
import type { Ledger, RequestContext } from './ledger';
import type { Params } from './params';
import type { PaymentIntentObject, RefundObject } from './store';

export interface ApiCall {
  params: Params;
  id: string;
  request: RequestContext;
}

export type ApiHandler = (call: ApiCall) => object;

interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  handler: ApiHandler;
}

/** The Stripe API subset the stand-in speaks; everything else answers Stripe's "unrecognized URL". */
export function apiRoutes(ledger: Ledger, hostedPageBase: () => string): Route[] {
  const list = (url: string, data: object[]) => ({ object: 'list', data, has_more: false, url });

  const expandPaymentIntent = (pi: PaymentIntentObject, expand: string[]) => {
    const out: Record<string, unknown> = { ...pi };
    for (const field of expand) {
      if (field === 'latest_charge')
        out.latest_charge = pi.latest_charge ? ledger.state.charges[pi.latest_charge] : null;
      else throw cannotExpand(field);
    }
    return out;
  };

  const sessionView = (id: string, expand: string[]) => {
    const record = ledger.session(id);
    const out: Record<string, unknown> = { ...record.session };
    for (const field of expand) {
      if (field === 'line_items')
        out.line_items = list(`/v1/checkout/sessions/${id}/line_items`, record.lineItems);
      else if (field === 'payment_intent') {
        const piId = record.session.payment_intent;
        out.payment_intent = piId ? ledger.paymentIntent(piId) : null;
      } else if (field === 'payment_intent.latest_charge') {
        const piId = record.session.payment_intent;
        out.payment_intent = piId ? expandPaymentIntent(ledger.paymentIntent(piId), ['latest_charge']) : null;
      } else throw cannotExpand(field);
    }
    return out;
  };

  const paymentIntentView = (id: string, expand: string[]) =>
    expandPaymentIntent(ledger.paymentIntent(id), expand);

  return [
    {
      method: 'POST',
      pattern: /^\/v1\/checkout\/sessions$/,
      handler: ({ params }) => {
        const record = buildSession(params, hostedPageBase());
        ledger.addSession(record);
        return sessionView(record.session.id, params.stringList('expand'));
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/checkout\/sessions\/([^/]+)$/,
      handler: ({ params, id }) => sessionView(id, params.only(['expand']).stringList('expand')),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/checkout\/sessions\/([^/]+)\/line_items$/,
      handler: ({ params, id }) => {
        params.only(['limit', 'starting_after', 'ending_before', 'expand']);
        return list(`/v1/checkout/sessions/${id}/line_items`, ledger.session(id).lineItems);
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/checkout\/sessions\/([^/]+)\/expire$/,
      handler: ({ params, id, request }) => {
        params.only(['expand']);
        ledger.expireSession(id, request);
        return sessionView(id, params.stringList('expand'));
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/payment_intents\/([^/]+)$/,
      handler: ({ params, id }) =>
        paymentIntentView(id, params.only(['expand', 'client_secret']).stringList('expand')),
    },
    {
      method: 'POST',
      pattern: /^\/v1\/payment_intents\/([^/]+)\/capture$/,
      handler: ({ params, id, request }) => {
        params.only(['amount_to_capture', 'expand']);
        ledger.capture(id, params.integer('amount_to_capture'), request);
        return paymentIntentView(id, params.stringList('expand'));
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/payment_intents\/([^/]+)\/cancel$/,
      handler: ({ params, id, request }) => {
        params.only(['cancellation_reason', 'expand']);
        const reason = params.enumOf('cancellation_reason', [
          'duplicate',
          'fraudulent',
          'requested_by_customer',
          'abandoned',
        ] as const);
        ledger.cancel(id, reason, request);
        return paymentIntentView(id, params.stringList('expand'));
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/refunds$/,
      handler: ({ params, request }) => {
        params.only(['payment_intent', 'charge', 'amount', 'reason', 'metadata', 'expand']);
        const piId =
          params.string('payment_intent') ?? paymentIntentOfCharge(ledger, params.string('charge'));
        const reason =
          params.enumOf('reason', ['duplicate', 'fraudulent', 'requested_by_customer'] as const) ?? null;
        return ledger.refund(
          piId,
          params.integer('amount'),
          { reason, metadata: params.metadata() ?? {} },
          request,
        );
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/refunds\/([^/]+)$/,
      handler: ({ id }) => {
        const refund = ledger.state.refunds[id];
        if (!refund) throw resourceMissing('refund', id, 'refund');
        return refund;
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/refunds$/,
      handler: ({ params }) => {
        params.only(['payment_intent', 'charge', 'limit']);
        const pi = params.string('payment_intent');
        const charge = params.string('charge');
        const refunds = Object.values(ledger.state.refunds)
          .filter((r: RefundObject) => (!pi || r.payment_intent === pi) && (!charge || r.charge === charge))
          .sort((a, b) => b.created - a.created);
        return list('/v1/refunds', refunds.slice(0, params.integer('limit') ?? 10));
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/disputes\/([^/]+)$/,
      handler: ({ id }) => {
        const dispute = ledger.state.disputes[id];
        if (!dispute) throw resourceMissing('dispute', id, 'dispute');
        return dispute;
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/charges\/([^/]+)$/,
      handler: ({ id }) => {
        const charge = ledger.state.charges[id];
        if (!charge) throw resourceMissing('charge', id, 'id');
        return charge;
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/events\/([^/]+)$/,
      handler: ({ id }) => {
        const record = ledger.state.events[id];
        if (!record) throw resourceMissing('event', id, 'id');
        return record.event;
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/events$/,
      handler: ({ params }) => {
        params.only(['type', 'limit']);
        const type = params.string('type');
        const limit = Math.min(Math.max(params.integer('limit') ?? 10, 1), 100);
        const events = Object.values(ledger.state.events)
          .map((r) => r.event)
          .filter((e) => !type || e.type === type)
          .reverse();
        return { ...list('/v1/events', events.slice(0, limit)), has_more: events.length > limit };
      },
    },
  ];
}

function paymentIntentOfCharge(ledger: Ledger, chargeId: string | undefined): string {
  if (!chargeId) throw missingParam('payment_intent');
  const charge = ledger.state.charges[chargeId];
  if (!charge) throw resourceMissing('charge', chargeId, 'charge');
  return charge.payment_intent;
}

function cannotExpand(field: string) {
  return invalidParam(
    'expand',
    `This property cannot be expanded (${field}). This Stripe stand-in expands only the fields listed in dev/stripe/README.md.`,
    'parameter_invalid_string',
  );
}
