import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

interface RequestContext {
  requestId: string;
}

const context = new AsyncLocalStorage<RequestContext>();

/** The request id of the HTTP request or Kafka message being handled, if any. */
export const currentRequestId = (): string | undefined => context.getStore()?.requestId;

/** Runs `fn` with a request id that logs and outgoing Kafka headers pick up. */
export function withRequestId<T>(requestId: string | undefined, fn: () => T): T {
  return context.run({ requestId: requestId ?? randomUUID() }, fn);
}

export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: () => {
      const requestId = currentRequestId();
      return requestId ? { requestId } : {};
    },
    redact: {
      paths: ['req.headers.cookie', 'req.headers.authorization', '*.password', '*.token', 'headers.cookie'],
      censor: '[redacted]',
    },
  });
}
