import { invalidParam, missingParam } from './errors';
import type { Params } from './params';
import { newId, nowSeconds, type LineItemObject, type SessionRecord } from './store';

const SESSION_PARAMS = [
  'mode',
  'line_items',
  'payment_intent_data',
  'metadata',
  'client_reference_id',
  'success_url',
  'cancel_url',
  'expires_at',
  'customer_email',
  'payment_method_types',
  'locale',
  'expand',
] as const;

/** Stripe's bounds for `expires_at`, measured from the creation of the session. */
const MIN_EXPIRY_SECONDS = 30 * 60;
const MAX_EXPIRY_SECONDS = 24 * 60 * 60;
/** Stripe refuses sessions below the card networks' minimum charge (0.50 in most currencies). */
const MIN_AMOUNT = 50;

/** Turns `POST /v1/checkout/sessions` parameters into a stored session, refusing what Stripe refuses. */
export function buildSession(params: Params, hostedPageBase: string): SessionRecord {
  params.only(SESSION_PARAMS);
  const mode = params.requiredString('mode');
  if (mode !== 'payment') {
    throw invalidParam(
      'mode',
      `Invalid mode: this Stripe stand-in supports mode=payment only, not ${mode}.`,
      'parameter_invalid_string',
    );
  }
  const methods = params.stringList('payment_method_types');
  if (methods.some((m) => m !== 'card')) {
    throw invalidParam(
      'payment_method_types',
      'This Stripe stand-in supports card payments only.',
      'parameter_invalid_string',
    );
  }

  const items = params.array('line_items');
  if (!items || items.length === 0) throw missingParam('line_items');
  const lineItems = items.map(buildLineItem);
  const currency = lineItems[0]?.currency as string;
  if (lineItems.some((li) => li.currency !== currency)) {
    throw invalidParam(
      'line_items',
      'All line items in a Checkout Session must use the same currency.',
      'parameter_invalid_string',
    );
  }
  const amount = lineItems.reduce((sum, li) => sum + li.amount_total, 0);
  if (amount < MIN_AMOUNT) {
    throw invalidParam(
      'line_items',
      `The Checkout Session's total amount due must add up to at least ${MIN_AMOUNT} in the smallest ${currency} unit.`,
      'amount_too_small',
    );
  }

  const created = nowSeconds();
  const expiresAt = params.integer('expires_at') ?? created + MAX_EXPIRY_SECONDS;
  if (expiresAt > created + MAX_EXPIRY_SECONDS) {
    throw invalidParam(
      'expires_at',
      'The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.',
      'parameter_invalid_integer',
    );
  }
  // A few seconds of slack: the caller computed the value from its own clock before the request travelled here.
  if (expiresAt < created + MIN_EXPIRY_SECONDS - 5) {
    throw invalidParam(
      'expires_at',
      'The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.',
      'parameter_invalid_integer',
    );
  }

  const clientReferenceId = params.string('client_reference_id') ?? null;
  if (clientReferenceId !== null && clientReferenceId.length > 200) {
    throw invalidParam(
      'client_reference_id',
      'client_reference_id can be at most 200 characters long.',
      'parameter_invalid_string',
    );
  }

  const pid = params.object('payment_intent_data')?.only(['capture_method', 'metadata', 'description']);
  const captureMethod =
    pid?.enumOf('capture_method', ['manual', 'automatic', 'automatic_async'] as const) ?? 'automatic';

  const id = newId('cs_test', 58);
  return {
    session: {
      id,
      object: 'checkout.session',
      amount_subtotal: amount,
      amount_total: amount,
      cancel_url: params.string('cancel_url') ?? null,
      client_reference_id: clientReferenceId,
      created,
      currency,
      customer_details: null,
      customer_email: params.string('customer_email') ?? null,
      expires_at: expiresAt,
      livemode: false,
      metadata: params.metadata() ?? {},
      mode: 'payment',
      payment_intent: null,
      payment_method_types: ['card'],
      payment_status: 'unpaid',
      status: 'open',
      success_url: params.string('success_url') ?? null,
      url: `${hostedPageBase}/pay/${id}`,
    },
    lineItems,
    paymentIntentData: {
      captureMethod: captureMethod === 'manual' ? 'manual' : 'automatic',
      metadata: pid?.metadata() ?? {},
      description: pid?.string('description') ?? null,
    },
  };
}

function buildLineItem(item: Params): LineItemObject {
  item.only(['price_data', 'quantity']);
  const priceData = item.object('price_data');
  if (!priceData) throw missingParam(item.path('price_data'));
  priceData.only(['currency', 'unit_amount', 'product_data']);
  const currency = priceData.requiredString('currency').toLowerCase();
  if (!/^[a-z]{3}$/.test(currency))
    throw invalidParam(
      priceData.path('currency'),
      `Invalid currency: ${currency}.`,
      'parameter_invalid_string',
    );
  const unitAmount = priceData.requiredInteger('unit_amount');
  if (unitAmount < 0)
    throw invalidParam(
      priceData.path('unit_amount'),
      'This value must be greater than or equal to 0.',
      'parameter_invalid_integer',
    );
  const product = priceData.object('product_data');
  if (!product) throw missingParam(priceData.path('product_data'));
  product.only(['name', 'description', 'metadata']);
  const name = product.requiredString('name');
  const quantity = item.requiredInteger('quantity');
  if (quantity < 1)
    throw invalidParam(
      item.path('quantity'),
      'This value must be greater than or equal to 1.',
      'parameter_invalid_integer',
    );
  const total = unitAmount * quantity;
  return {
    id: newId('li'),
    object: 'item',
    amount_discount: 0,
    amount_subtotal: total,
    amount_tax: 0,
    amount_total: total,
    currency,
    description: name,
    quantity,
    price: {
      id: newId('price'),
      object: 'price',
      currency,
      unit_amount: unitAmount,
      product: newId('prod', 14),
      type: 'one_time',
      active: false,
    },
  };
}

/** Stripe fills `{CHECKOUT_SESSION_ID}` into the return URLs, and only that placeholder. */
export function returnUrl(template: string, sessionId: string): string {
  return template.split('{CHECKOUT_SESSION_ID}').join(sessionId);
}
