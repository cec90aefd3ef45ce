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
import { ApiError, send, type ProblemDetails } from './api';

/** The fetch the clients use: one refresh-and-retry when the session has expired. */
async function sameOriginFetch(request: Request): Promise<Response> {
  const retry = request.clone();
  const res = await send(request);
  if (res.status !== 401) return res;
  const problem = (await res
    .clone()
    .json()
    .catch(() => null)) as ProblemDetails | null;
  if (!problem || !new ApiError(401, problem).isSessionExpired || !(await refreshSession())) return res;
  return send(retry);
}

let refreshing: Promise<boolean> | null = null;

/**
 * Renews the session cookie from the refresh cookie. Parallel callers share one
 * request, so a page firing five API calls at an expired session refreshes once.
 */
export function refreshSession(): Promise<boolean> {
  refreshing ??= feedApi
    // Plain `send`: a refused refresh is the answer, not a reason to refresh again.
    .POST('/feed/api/session/refresh', { fetch: send })
    .then(({ response }) => response.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
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

/** The paths of an API's client that answer GET. */
type GetPath<Paths> = {
  [P in keyof Paths]: Paths[P] extends { get: { parameters: unknown } } ? P : never;
}[keyof Paths] &
  string;
/** A GET operation's path and query parameters, as a client call takes them. */
type GetParams<Paths, P extends keyof Paths> = Paths[P] extends { get: { parameters: infer Params } }
  ? Pick<Params, 'path' & keyof Params> & Pick<Params, 'query' & keyof Params>
  : never;

/**
 * The URL of one of an API's GET operations for the browser to open itself (a CSV download,
 * a document a fan may keep, the address a widget fetches), typed like a client call: the
 * path must be one the API declares and its parameters are checked.
 *
 *   apiHref(purchaseApi, '/purchase/api/organiser/events/{id}/orders.csv', { path: { id } })
 */
export function apiHref<Paths extends {}, P extends GetPath<Paths>>(
  _client: Client<Paths, 'application/json'>,
  path: P,
  params: GetParams<Paths, P>,
): string {
  const { path: values, query } = params as {
    path?: Record<string, string | number>;
    query?: Record<string, string | number | boolean | null | undefined>;
  };
  const url = path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const value = values?.[name];
    if (value === undefined) throw new Error(`apiHref: no value for {${name}} in ${path}`);
    return encodeURIComponent(String(value));
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {}))
    if (value !== undefined && value !== null) search.append(key, String(value));
  const qs = search.toString();
  return qs ? `${url}?${qs}` : url;
}

/**
 * The success answer of one operation, for naming a shape the document leaves unnamed:
 * `ApiAnswer<paths, '/purchase/api/organiser/events/{id}/sales', 'get'>`.
 */
export type ApiAnswer<Paths, P extends keyof Paths, M extends keyof Paths[P]> = Paths[P][M] extends {
  responses: infer R;
}
  ? {
      [S in keyof R]: S extends 200 | 201 | 202
        ? R[S] extends { content: { 'application/json': infer A } }
          ? A
          : never
        : never;
    }[keyof R]
  : never;
