import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiRoutes } from './api';
import { returnUrl } from './create-session';
import { StripeApiError } from './errors';
import { canonicalForm, parseStripeForm } from './form';
import { cardFormError, checkoutPage, messagePage } from './hosted-page';
import type { Ledger } from './ledger';
import { Params } from './params';
import { newId } from './store';

const MAX_BODY_BYTES = 1024 * 1024;
/** Stripe keeps idempotency keys for at least 24 hours. */
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export interface HandlerDeps {
  ledger: Ledger;
  apiVersion: string;
  hostedPageBase: () => string;
  /** Called after anything changed, so the state file can be rewritten. */
  changed: () => void;
  log: (line: string) => void;
}

export function createHandler(deps: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { ledger } = deps;
  const routes = apiRoutes(ledger, deps.hostedPageBase);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const method = req.method ?? 'GET';
    if (url.pathname === '/healthz') return sendText(res, 200, 'ok');
    const page = /^\/pay\/([^/]+)$/.exec(url.pathname);
    if (page) return hostedPage(req, res, decodeURIComponent(page[1] as string));
    if (url.pathname.startsWith('/v1/')) return api(req, res, url, method);
    return sendText(res, 404, 'Not found');
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<void> {
    const requestId = newId('req', 14);
    res.setHeader('request-id', requestId);
    res.setHeader('stripe-version', headerValue(req, 'stripe-version') ?? deps.apiVersion);
    try {
      authenticate(headerValue(req, 'authorization'));
      const body = method === 'POST' ? await readBody(req) : url.search.slice(1);
      const form = parseStripeForm(body);
      const match = routes.find((r) => r.method === method && r.pattern.test(url.pathname));
      if (!match) throw unrecognized(method, url.pathname);
      const id = decodeURIComponent((match.pattern.exec(url.pathname) as RegExpExecArray)[1] ?? '');
      const key = method === 'POST' ? headerValue(req, 'idempotency-key') : undefined;
      const endpoint = `${method} ${url.pathname}`;
      if (key !== undefined) {
        res.setHeader('idempotency-key', key);
        if (replayed(res, key, endpoint, canonicalForm(form))) return;
      }
      let status = 200;
      let payload: object;
      try {
        payload = match.handler({
          params: new Params(form),
          id,
          request: { id: requestId, idempotencyKey: key ?? null },
        });
      } catch (err) {
        if (!(err instanceof StripeApiError) || err.validation || key === undefined) throw err;
        // An error found while executing is part of the result: a retry must see it again.
        status = err.status;
        payload = err.toJSON();
      }
      const text = JSON.stringify(payload, null, 2);
      if (key !== undefined) {
        ledger.state.idempotency[key] = {
          endpoint,
          params: canonicalForm(form),
          status,
          body: text,
          requestId,
          createdAt: Date.now(),
        };
      }
      deps.changed();
      sendJson(res, status, text);
    } catch (err) {
      if (err instanceof StripeApiError)
        return sendJson(res, err.status, JSON.stringify(err.toJSON(), null, 2));
      deps.log(`stripe stand-in: ${method} ${url.pathname} failed: ${(err as Error).stack ?? String(err)}`);
      sendJson(
        res,
        500,
        JSON.stringify(
          new StripeApiError(500, {
            type: 'api_error',
            message: 'An unknown error occurred in the Stripe stand-in.',
          }).toJSON(),
        ),
      );
    }
  }

  function replayed(res: ServerResponse, key: string, endpoint: string, params: string): boolean {
    const record = ledger.state.idempotency[key];
    if (!record || Date.now() - record.createdAt > IDEMPOTENCY_TTL_MS) return false;
    if (record.endpoint !== endpoint) {
      throw new StripeApiError(400, {
        type: 'idempotency_error',
        message: `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${record.endpoint}' vs '${endpoint}'). Try using a key other than '${key}' if you meant to execute a different request.`,
      });
    }
    if (record.params !== params) {
      throw new StripeApiError(400, {
        type: 'idempotency_error',
        message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
      });
    }
    res.setHeader('idempotent-replayed', 'true');
    res.setHeader('original-request', record.requestId);
    sendJson(res, record.status, record.body);
    return true;
  }

  async function hostedPage(req: IncomingMessage, res: ServerResponse, sessionId: string): Promise<void> {
    let record;
    try {
      ledger.expireDueSessions();
      record = ledger.session(sessionId);
    } catch {
      return sendHtml(res, 404, messagePage('Checkout not found', 'This checkout link is not valid.'));
    }
    const { session } = record;
    if (session.status === 'expired') {
      return sendHtml(
        res,
        410,
        messagePage(
          'This checkout has expired',
          'The time to pay for this order ran out. Nothing was charged.',
          session.cancel_url
            ? { href: returnUrl(session.cancel_url, session.id), text: 'Return to the shop' }
            : undefined,
        ),
      );
    }
    if (session.status === 'complete') {
      return sendHtml(
        res,
        200,
        messagePage(
          'Payment received',
          'This checkout is already complete.',
          session.success_url
            ? { href: returnUrl(session.success_url, session.id), text: 'Continue' }
            : undefined,
        ),
      );
    }
    if (req.method === 'GET' || req.method === 'HEAD') return sendHtml(res, 200, checkoutPage(record));
    if (req.method !== 'POST') return sendText(res, 405, 'Method not allowed');

    const form = new URLSearchParams(await readBody(req));
    if (form.get('action') === 'cancel') {
      if (session.cancel_url) return redirect(res, returnUrl(session.cancel_url, session.id));
      return sendHtml(
        res,
        200,
        messagePage('Payment cancelled', 'Nothing was charged. You can close this page.'),
      );
    }
    const formError = cardFormError(form.get('expiry') ?? '', form.get('cvc') ?? '');
    if (formError) return sendHtml(res, 400, checkoutPage(record, formError));
    const attempt = ledger.attemptPayment(
      session.id,
      form.get('card_number') ?? '',
      form.get('cardholder_name') ?? undefined,
    );
    deps.changed();
    if (attempt.outcome !== 'paid') return sendHtml(res, 402, checkoutPage(record, attempt.message));
    if (session.success_url) return redirect(res, returnUrl(session.success_url, session.id));
    return sendHtml(res, 200, messagePage('Payment received', 'Thank you. You can close this page.'));
  }

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      deps.log(`stripe stand-in: ${req.method} ${req.url} failed: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) sendText(res, 500, 'Internal error');
      else res.destroy();
    });
  };
}

function authenticate(header: string | undefined): void {
  const missing = new StripeApiError(401, {
    type: 'invalid_request_error',
    message:
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
  });
  if (!header) throw missing;
  let key: string | undefined;
  const [scheme, value = ''] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') key = value.trim();
  else if (scheme?.toLowerCase() === 'basic')
    key = Buffer.from(value, 'base64').toString('utf8').split(':')[0];
  if (!key) throw missing;
  if (!/^(sk|rk)_test_\w+$/.test(key)) {
    throw new StripeApiError(401, {
      type: 'invalid_request_error',
      message: `Invalid API Key provided: ${key.slice(0, 8)}****${key.slice(-4)}. The Stripe stand-in accepts test-mode secret keys (sk_test_…) only.`,
    });
  }
}

function unrecognized(method: string, path: string): StripeApiError {
  return new StripeApiError(404, {
    type: 'invalid_request_error',
    message: `Unrecognized request URL (${method}: ${path}). This Stripe stand-in implements the subset listed in dev/stripe/README.md.`,
  });
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new StripeApiError(413, { type: 'invalid_request_error', message: 'Request body too large.' });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-cache, no-store' });
  res.end(text);
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location });
  res.end();
}
