/**
 * Typed clients: openapi-fetch over the types each frontend generates from a service's
 * OpenAPI document (`npm run contracts`), with the behaviour of `api`: same-origin
 * cookies, network failures and problem+json answers as `ApiError`, and an expired
 * session refreshed once, transparently.
 *
 *   const purchase = createApiClient<paths>();
 *   const order = await answer(purchase.GET('/purchase/api/orders/{id}', { params: { path: { id } } }));
 */
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
export async function answer<D>(call: Promise<{ data?: D; error?: unknown; response: Response }>): Promise<D> {
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
