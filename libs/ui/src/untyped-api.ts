/**
 * The untyped fetch wrapper, kept only until feed's pages call the typed clients
 * (`api-client.ts`); deleted with its last caller.
 * @deprecated call an API through its typed client (`feedApi`, …, `answer`).
 */
import { ApiError, send, type ProblemDetails } from './api';
import { refreshSession } from './api-client';

function defaultTitle(status: number): string {
  return new ApiError(status, {}).title;
}

export interface ApiInit extends Omit<RequestInit, 'body'> {
  /** Plain values are sent as JSON; FormData/Blob/URLSearchParams as they are. */
  body?: unknown;
  /** Appended to the path as a query string; undefined values are skipped. */
  query?: Record<string, string | number | boolean | undefined | null>;
}

function isRawBody(body: unknown): body is BodyInit {
  return (
    body instanceof FormData ||
    body instanceof Blob ||
    body instanceof URLSearchParams ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof ReadableStream
  );
}

function withQuery(path: string, query: ApiInit['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null) params.append(key, String(value));
  }
  const qs = params.toString();
  if (!qs) return path;
  return path + (path.includes('?') ? '&' : '?') + qs;
}

function buildRequest(init: ApiInit): RequestInit {
  const { body, query: _q, headers: given, ...rest } = init;
  const headers = new Headers(given);
  if (!headers.has('Accept')) headers.set('Accept', 'application/json, application/problem+json');
  let payload: BodyInit | undefined;
  if (body !== undefined) {
    if (isRawBody(body)) {
      payload = body;
    } else {
      payload = JSON.stringify(body);
      if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
    }
  }
  return { credentials: 'same-origin', ...rest, headers, ...(payload !== undefined ? { body: payload } : {}) };
}

async function readBody(res: Response): Promise<unknown> {
  if (res.status === 204 || res.status === 205) return undefined;
  const type = res.headers.get('Content-Type') ?? '';
  const text = await res.text();
  if (!text) return undefined;
  if (type.includes('json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

async function toApiError(res: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await readBody(res);
  } catch {
    body = undefined;
  }
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    return new ApiError(res.status, body as ProblemDetails);
  }
  return new ApiError(res.status, { title: defaultTitle(res.status), ...(typeof body === 'string' && body.length < 300 ? { detail: body } : {}) });
}

/**
 * `await api<Event[]>('/feed/api/events')`, `await api('/buffer/api/events/1/entries', { method: 'POST', body: {} })`.
 * Resolves with the parsed JSON (undefined for 204); rejects with `ApiError`.
 */
export async function api<T = unknown>(path: string, init: ApiInit = {}): Promise<T> {
  const url = withQuery(path, init.query);
  const request = buildRequest(init);
  let res = await send(url, request);
  if (!res.ok) {
    let error = await toApiError(res);
    if (error.isSessionExpired && (await refreshSession())) {
      res = await send(url, buildRequest(init));
      if (!res.ok) error = await toApiError(res);
    }
    if (!res.ok) throw error;
  }
  return (await readBody(res)) as T;
}

