/**
 * The typed API clients, one per service: openapi-fetch over the types generated once from
 * each service's OpenAPI document (`npm run contracts` writes `@ticketslave/contracts/api/<svc>`),
 * with same-origin cookies, network failures and problem+json answers as `ApiError`, and an
 * expired session refreshed once, transparently. Every call of a frontend to an API goes
 * through one of these (a test in dev/contracts fails on a raw API path):
 *
 *   const order = await answer(purchaseApi.GET('/purchase/api/orders/{id}', { params: { path: { id } } }));
 */
import type { paths as BufferPaths } from '@ticketslave/contracts/api/buffer';
import type { paths as FeedPaths } from '@ticketslave/contracts/api/feed';
import type { paths as PaymentPaths } from '@ticketslave/contracts/api/payment';
import type { paths as PurchasePaths } from '@ticketslave/contracts/api/purchase';
import type { paths as QueuePaths } from '@ticketslave/contracts/api/queue';
import createClient, { type Client } from 'openapi-fetch';
import { ApiError, refreshSession, send, SESSION_REFRESH_PATH, type ProblemDetails } from './api';

/** The fetch the clients use: one refresh-and-retry when the session has expired. */
async function sameOriginFetch(request: Request): Promise<Response> {
  const retry = request.clone();
  const res = await send(request);
  if (res.status !== 401 || new URL(request.url).pathname === SESSION_REFRESH_PATH) return res;
  const problem = (await res
    .clone()
    .json()
    .catch(() => null)) as ProblemDetails | null;
  if (!problem || !new ApiError(401, problem).isSessionExpired || !(await refreshSession())) return res;
  return send(retry);
}

export function createApiClient<Paths extends {}>(): Client<Paths, 'application/json'> {
  return createClient<Paths, 'application/json'>({
    fetch: sameOriginFetch,
    credentials: 'same-origin',
    headers: { Accept: 'application/json, application/problem+json' },
  });
}

/**
 * The data of a client call, or its problem thrown as `ApiError`, so pages keep one way
 * of handling failures (`Resource`, `errorMessage`).
 */
export async function answer<D>(
  call: Promise<{ data?: D; error?: unknown; response: Response }>,
): Promise<D> {
  const { data, error, response } = await call;
  if (response.ok) return data as D;
  const problem: ProblemDetails =
    error && typeof error === 'object' && !Array.isArray(error)
      ? (error as ProblemDetails)
      : typeof error === 'string' && error.length < 300
        ? { detail: error }
        : {};
  throw new ApiError(response.status, problem);
}

// Pure: a page's bundle keeps only the clients it calls.
export const feedApi = /* @__PURE__ */ createApiClient<FeedPaths>();
export const bufferApi = /* @__PURE__ */ createApiClient<BufferPaths>();
export const queueApi = /* @__PURE__ */ createApiClient<QueuePaths>();
export const purchaseApi = /* @__PURE__ */ createApiClient<PurchasePaths>();
export const paymentApi = /* @__PURE__ */ createApiClient<PaymentPaths>();
