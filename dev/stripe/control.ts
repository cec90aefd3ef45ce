import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StateQuery, StripeStandIn } from './stand-in';

/** Where the control API lives: not Stripe's, so never under `/v1/`. */
export const CONTROL_PREFIX = '/_standin/';

/** How long one `webhooks-idle` request waits before answering `{ idle: false }` (the client asks again). */
const IDLE_WAIT_MS = 10_000;

const OUTAGES = new Set([429, 500, 503]);

/**
 * The stand-in's own handle over HTTP (`remoteStripeStandIn` is its client), for a stand-in
 * running in its own process: a bench's simulated fans then no longer delay Stripe's answers
 * and webhooks. Mounted only when asked for (`control: true`, `--control`): it pays without a
 * card form and changes the stand-in's behaviour, nothing a shared dev stand-in should expose.
 */
export function createControlHandler(
  handle: () => StripeStandIn,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const route = `${req.method ?? 'GET'} ${url.pathname.slice(CONTROL_PREFIX.length)}`;
    const standIn = handle();
    try {
      const body = req.method === 'POST' ? await readJson(req) : {};
      switch (route) {
        case 'GET state': {
          const list = (name: string) => url.searchParams.get(name)?.split(',').filter(Boolean);
          const query: StateQuery = {};
          const only = list('only');
          const eventTypes = list('eventTypes');
          if (only) query.only = only as NonNullable<StateQuery['only']>;
          if (eventTypes) query.eventTypes = eventTypes;
          return send(res, 200, await standIn.state(query));
        }
        case 'GET requests':
          return send(res, 200, await standIn.apiRequests());
        case 'POST pay':
          try {
            await standIn.pay(str(body.sessionId), optStr(body.card), optStr(body.cardholderName));
            return send(res, 200, { paid: true });
          } catch (err) {
            const e = err as Error & { code?: string };
            return send(res, 402, { error: { message: e.message, code: e.code } });
          }
        case 'POST refund-from-dashboard':
          return send(
            res,
            200,
            await standIn.refundFromDashboard(str(body.paymentIntentId), optNum(body.amount)),
          );
        case 'POST dispute':
          return send(
            res,
            200,
            await standIn.dispute(str(body.paymentIntentId), {
              ...(optStr(body.reason) ? { reason: optStr(body.reason) } : {}),
              ...(optNum(body.amount) !== undefined ? { amount: optNum(body.amount) } : {}),
            }),
          );
        case 'POST replay':
          await standIn.replayEvent(str(body.eventId));
          return send(res, 200, { replayed: true });
        case 'POST webhooks-idle': {
          let timer: NodeJS.Timeout | undefined;
          const idle = await Promise.race([
            standIn.webhooksIdle().then(() => true),
            new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), IDLE_WAIT_MS))),
          ]);
          clearTimeout(timer);
          return send(res, 200, { idle });
        }
        case 'POST outage': {
          const status = body.status ?? null;
          if (status !== null && !OUTAGES.has(status as number))
            return send(res, 400, { error: { message: `outage status must be 429, 500, 503 or null` } });
          await standIn.setOutage(status as 429 | 500 | 503 | null);
          return send(res, 200, { outage: status });
        }
        case 'POST webhook-url':
          await standIn.setWebhookUrl(optStr(body.url));
          return send(res, 200, { webhookUrl: optStr(body.url) ?? null });
        default:
          return send(res, 404, { error: { message: `no control route ${route}` } });
      }
    } catch (err) {
      return send(res, err instanceof BadRequest ? 400 : 500, { error: { message: (err as Error).message } });
    }
  };
}

class BadRequest extends Error {}

function str(v: unknown): string {
  if (typeof v !== 'string' || !v) throw new BadRequest(`expected a string, got ${JSON.stringify(v)}`);
  return v;
}
const optStr = (v: unknown): string | undefined => (v == null ? undefined : str(v));
function optNum(v: unknown): number | undefined {
  if (v == null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new BadRequest(`expected an integer, got ${JSON.stringify(v)}`);
  return v;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new BadRequest('expected a JSON object');
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
