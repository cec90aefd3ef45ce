/**
 * Fetch wrapper for TicketSlave's JSON APIs (all same-origin behind the gateway).
 * JSON in and out; problem+json errors become `ApiError`; an expired session is
 * refreshed once, transparently, and the request retried.
 */

export const PROBLEM_TYPE_BASE = 'https://ticketslave.dev/problems/';
export const SESSION_REFRESH_PATH = '/feed/api/session/refresh';

export interface FieldError {
  path: string;
  message: string;
}

export interface ProblemDetails {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  /** Full problem `type` URI, e.g. https://ticketslave.dev/problems/sold_out. */
  readonly type: string;
  /** The tail of `type` (`sold_out`), for switch statements. */
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  /** Everything else the server put in the problem (e.g. retryAfterSeconds). */
  readonly extensions: Record<string, unknown>;

  constructor(status: number, problem: ProblemDetails) {
    const { type, title, detail, errors, status: _s, instance: _i, ...extensions } = problem;
    super(detail ?? title ?? `Request failed (${status})`);
    this.name = 'ApiError';
    this.status = status;
    this.type = type ?? 'about:blank';
    this.code = this.type.slice(this.type.lastIndexOf('/') + 1);
    this.title = title ?? defaultTitle(status);
    this.detail = detail;
    this.errors = Array.isArray(errors) ? errors : undefined;
    this.extensions = extensions;
  }

  /** The message for one form field (`path` as the server reports it), if any. */
  fieldError(path: string): string | undefined {
    return this.errors?.find((e) => e.path === path)?.message;
  }

  get isSessionExpired(): boolean {
    return this.status === 401 && this.type.endsWith('session_expired');
  }
}

export const isApiError = (e: unknown): e is ApiError => e instanceof ApiError;

function defaultTitle(status: number): string {
  if (status === 0) return 'Cannot reach TicketSlave';
  if (status === 401) return 'You need to log in';
  if (status === 403) return 'Not allowed';
  if (status === 404) return 'Not found';
  if (status === 429) return 'Too many requests';
  if (status >= 500) return 'Something went wrong on our side';
  return 'Request failed';
}

export interface ApiInit extends Omit<RequestInit, 'body'> {
  /** Plain values are sent as JSON; FormData/Blob/URLSearchParams as they are. */
  body?: unknown;
  /** Appended to the path as a query string; undefined values are skipped. */
  query?: Record<string, string | number | boolean | undefined | null>;
}

let refreshing: Promise<boolean> | null = null;

/**
 * Renews the session cookie from the refresh cookie. Parallel callers share one
 * request, so a page firing five API calls at an expired session refreshes once.
 */
export function refreshSession(): Promise<boolean> {
  refreshing ??= fetch(SESSION_REFRESH_PATH, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
  })
    .then((res) => res.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
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

/** fetch, with a network failure turned into `ApiError` 0 (aborts stay aborts). */
export async function send(path: string | Request, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(path, init);
  } catch (e) {
    // Aborts are the caller's business; everything else is "network down".
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, {
      type: `${PROBLEM_TYPE_BASE}network_error`,
      title: 'Cannot reach TicketSlave',
      detail: 'Check your connection and try again.',
    });
  }
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
    if (error.isSessionExpired && path !== SESSION_REFRESH_PATH && (await refreshSession())) {
      res = await send(url, buildRequest(init));
      if (!res.ok) error = await toApiError(res);
    }
    if (!res.ok) throw error;
  }
  return (await readBody(res)) as T;
}

/** A human sentence for any error a page may catch. */
export function errorMessage(e: unknown): string {
  if (isApiError(e)) return e.detail ?? e.title;
  if (e instanceof Error) return e.message;
  return 'Something went wrong.';
}
