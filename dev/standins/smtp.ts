import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type AddressObject } from 'mailparser';
import { close, listen, sendJson, sendProblem, urlHost, type StandIn } from './http-util';

export interface SmtpStandInOptions {
  /** SMTP port (2525 in the platform). */
  port: number;
  /** Inbox HTTP port (8025 in the platform). */
  httpPort: number;
  host?: string;
  /** Oldest messages are dropped beyond this, so a long bench run cannot eat the heap. */
  maxMessages?: number;
}

export interface InboxMessage {
  id: string;
  from: string;
  /** Envelope recipients (RCPT TO), lower-cased: includes Bcc, unlike the To header. */
  to: string[];
  subject: string;
  text: string;
  html: string | null;
  date: string;
}

export interface SmtpStandIn extends StandIn {
  /** SMTP URL, e.g. smtp://127.0.0.1:2525, for nodemailer's `createTransport(url)`. */
  url: string;
  inboxUrl: string;
  httpPort: number;
}

function addressText(value: AddressObject | AddressObject[] | undefined): string {
  if (!value) return '';
  return (Array.isArray(value) ? value : [value]).map((a) => a.text).join(', ');
}

export async function startSmtp(opts: SmtpStandInOptions): Promise<SmtpStandIn> {
  const host = opts.host ?? '127.0.0.1';
  const maxMessages = opts.maxMessages ?? 1000;
  let inbox: InboxMessage[] = [];

  const smtp = new SMTPServer({
    // Dev only: services connect with `secure: false, ignoreTLS: true` and no auth.
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    size: 10 * 1024 * 1024,
    // Clients keep pooled connections open; stopping must not wait 30 s (the default) for them.
    closeTimeout: 1000,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          inbox.push({
            id: randomUUID(),
            from: addressText(mail.from) || envelopeFrom,
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : null,
            date: new Date().toISOString(),
          });
          if (inbox.length > maxMessages) inbox = inbox.slice(-maxMessages);
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(opts.port, host, () => {
      smtp.off('error', reject);
      resolve();
    });
  });
  // A broken client must not take the stand-in down; smtp-server emits it as 'error'.
  smtp.on('error', () => undefined);
  const smtpPort = (smtp.server.address() as AddressInfo).port;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://inbox');
    if (url.pathname === '/messages' && req.method === 'GET') {
      const to = url.searchParams.get('to')?.toLowerCase();
      const list = inbox.filter((m) => !to || m.to.includes(to)).reverse();
      sendJson(res, 200, list);
      return;
    }
    if (url.pathname === '/messages' && req.method === 'DELETE') {
      inbox = [];
      res.writeHead(204).end();
      return;
    }
    const one = /^\/messages\/([^/]+)$/.exec(url.pathname);
    if (one && req.method === 'GET') {
      const found = inbox.find((m) => m.id === decodeURIComponent(one[1]!));
      if (found) sendJson(res, 200, found);
      else sendProblem(res, 404, 'Message not found');
      return;
    }
    if (url.pathname === '/' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(renderInbox(inbox));
      return;
    }
    sendProblem(res, 404, 'Not found', `${req.method} ${url.pathname}`);
  };
  const http = createServer(handle);
  const httpPort = await listen(http, opts.httpPort, host);

  return {
    url: `smtp://${urlHost(host)}:${smtpPort}`,
    port: smtpPort,
    inboxUrl: `http://${urlHost(host)}:${httpPort}`,
    httpPort,
    async stop() {
      await close(http);
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    },
  };
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function renderInbox(messages: InboxMessage[]): string {
  const rows = [...messages]
    .reverse()
    .map(
      (m) =>
        `<li><b>${escapeHtml(m.subject)}</b> → ${escapeHtml(m.to.join(', '))} <small>${m.date}</small>` +
        `<pre>${escapeHtml(m.text)}</pre></li>`,
    )
    .join('');
  return `<!doctype html><meta charset="utf-8"><title>Dev inbox</title><style>pre{white-space:pre-wrap;overflow-wrap:anywhere}</style><h1>Dev inbox (${messages.length})</h1><ul>${rows}</ul>`;
}

export interface WaitForMailOptions {
  to: string;
  subjectIncludes?: string;
  timeoutMs?: number;
  /** Ignore messages received before this instant (tests that reuse an address). */
  since?: Date;
}

/** Polls the inbox until a matching message arrives; returns the newest match. */
export async function waitForMail(inboxUrl: string, opts: WaitForMailOptions): Promise<InboxMessage> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  const query = new URLSearchParams({ to: opts.to });
  for (;;) {
    const res = await fetch(`${inboxUrl}/messages?${query}`);
    if (!res.ok) throw new Error(`inbox answered ${res.status}`);
    const list = (await res.json()) as InboxMessage[];
    const match = list.find(
      (m) =>
        (!opts.subjectIncludes || m.subject.includes(opts.subjectIncludes)) &&
        (!opts.since || new Date(m.date) >= opts.since),
    );
    if (match) return match;
    if (Date.now() > deadline) {
      throw new Error(
        `no mail to ${opts.to}${opts.subjectIncludes ? ` with subject containing "${opts.subjectIncludes}"` : ''} within ${opts.timeoutMs ?? 10_000} ms`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
