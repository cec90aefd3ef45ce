export type StripeErrorType = 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';

export interface StripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  param?: string;
  decline_code?: string;
  payment_intent?: unknown;
}

/**
 * An error answered in Stripe's `{error:{…}}` shape. `validation` marks errors raised before
 * the request did anything: Stripe does not store those under an idempotency key, so a
 * corrected retry with the same key goes through.
 */
export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
    readonly validation = true,
  ) {
    super(body.message);
  }

  toJSON(): { error: StripeErrorBody & { doc_url?: string } } {
    const doc = this.body.code
      ? { doc_url: `https://stripe.com/docs/error-codes/${this.body.code.replace(/_/g, '-')}` }
      : {};
    return { error: { ...this.body, ...doc } };
  }
}

export function missingParam(param: string): StripeApiError {
  return new StripeApiError(400, {
    type: 'invalid_request_error',
    code: 'parameter_missing',
    message: `Missing required param: ${param}.`,
    param,
  });
}

export function unknownParam(param: string): StripeApiError {
  return new StripeApiError(400, {
    type: 'invalid_request_error',
    code: 'parameter_unknown',
    message: `Received unknown parameter: ${param}. (This Stripe stand-in implements a subset of the API; see dev/stripe/README.md.)`,
    param,
  });
}

export function invalidParam(
  param: string,
  message: string,
  code = 'parameter_invalid_empty',
): StripeApiError {
  return new StripeApiError(400, { type: 'invalid_request_error', code, message, param });
}

export function resourceMissing(kind: string, id: string, param: string): StripeApiError {
  return new StripeApiError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    message: `No such ${kind}: '${id}'`,
    param,
  });
}

/** A state conflict found while executing: Stripe keeps these under the idempotency key. */
export function stateError(
  message: string,
  code?: string,
  extra: Partial<StripeErrorBody> = {},
): StripeApiError {
  return new StripeApiError(
    400,
    { type: 'invalid_request_error', message, ...(code ? { code } : {}), ...extra },
    false,
  );
}
