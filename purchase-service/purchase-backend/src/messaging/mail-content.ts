import type { OrderView } from '../domain/orders';
import type { OrderItem, Refund, SaleEvent } from '../domain/ports';
import { formatMoney } from '../domain/money';
import { eventWhen, ticketRef } from '../domain/ticket-text';

export { eventWhen, ticketRef };

/**
 * What a fan's e-mail says, once: the HTML part and the text part are both rendered from
 * this model, so they cannot drift apart. Every string in it is plain text (titles, names
 * and reasons come from organisers and fans); only `renderHtml` escapes, in one place.
 */
export interface FanMail {
  subject: string;
  /** The line mail clients show beside the subject. */
  preheader: string;
  heading: string;
  paragraphs: string[];
  event: { title: string; when: string | null; venue: string | null };
  /** The tickets the mail is about, with what each is (seat or category) and its short reference. */
  lines: { caption: string; items: { what: string; ref: string | null; price: string | null }[] } | null;
  total: { label: string; amount: string } | null;
  button: { label: string; url: string };
  /** Small print under the button. */
  notes: string[];
  /** Why the fan gets this mail, under the card; by default "about your order" with a link to the tickets. */
  footer?: { text: string; link: { label: string; url: string } };
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** The event as a mail names it; undefined when purchase no longer has it (then the order's title is used). */
export type MailEvent = Pick<SaleEvent, 'title' | 'venue' | 'startsAt' | 'timeZone' | 'categories'>;

/** What a seat or a general-admission place is called: "Main, row E, seat 1", "Standing (general admission)". */
export function lineName(item: OrderItem, event: MailEvent | undefined): string {
  if (item.section) return `${item.section}, row ${item.row}, seat ${item.seat}`;
  const category = event?.categories.find((c) => c.id === item.categoryId);
  return `${category?.name ?? item.categoryId} (general admission)`;
}

const eventOf = (order: OrderView, event: MailEvent | undefined): FanMail['event'] => ({
  title: event?.title ?? order.eventTitle,
  when: event ? eventWhen(event.startsAt, event.timeZone) : null,
  venue: event?.venue || null,
});

const DOOR_NOTE =
  'At the door, show the QR code from your tickets page. If you cannot, door staff find your ticket by its reference.';

/** The order is paid and its tickets are issued. */
export function confirmationMail(a: {
  order: OrderView;
  event: MailEvent | undefined;
  tickets: { unitId: string; ticketId: string }[];
  ticketsUrl: string;
}): FanMail {
  const { order } = a;
  const refOf = new Map(a.tickets.map((t) => [t.unitId, ticketRef(t.ticketId)]));
  const total = formatMoney(order.amountMinor, order.currency);
  const title = a.event?.title ?? order.eventTitle;
  return {
    subject: `Your tickets for ${title}`,
    preheader: `Order ${order.orderId} is paid (${total}). Your tickets are ready.`,
    heading: 'Your tickets are ready',
    paragraphs: [`Thank you! Your order ${order.orderId} is paid (${total}).`],
    event: eventOf(order, a.event),
    lines: {
      caption: order.items.length === 1 ? 'Your ticket' : `Your ${order.items.length} tickets`,
      items: order.items.map((i) => ({
        what: lineName(i, a.event),
        ref: refOf.get(i.unitId) ?? null,
        price: formatMoney(i.priceMinor, order.currency),
      })),
    },
    total: { label: 'Total paid', amount: total },
    button: { label: 'View your tickets', url: a.ticketsUrl },
    notes: [DOOR_NOTE],
  };
}

/** The money of (part of) an order went back, or the fan's bank disputed it: which tickets are void, how much, why. */
export function refundMail(a: {
  order: OrderView;
  event: MailEvent | undefined;
  refund: Refund;
  tickets: { unitId: string; ticketId: string }[];
  ticketsUrl: string;
}): FanMail {
  const { order, refund } = a;
  const title = a.event?.title ?? order.eventTitle;
  const refOf = new Map(a.tickets.map((t) => [t.unitId, ticketRef(t.ticketId)]));
  const units = new Set(refund.unitIds);
  const voided = order.items.filter((i) => units.has(i.unitId));
  const kept = order.items.filter((i) => !units.has(i.unitId));
  const amount = formatMoney(refund.amountMinor, order.currency);
  const dispute = refund.source === 'dispute';
  return {
    subject: dispute ? `Your tickets for ${title} were cancelled` : `Refund for ${title}`,
    preheader: dispute
      ? `Order ${order.orderId}: the payment was disputed.`
      : `${amount} is on its way back to your card.`,
    heading: dispute ? 'Your tickets were cancelled' : 'Your refund is on its way',
    paragraphs: [
      dispute
        ? `Your bank disputed the payment for order ${order.orderId}, so its tickets are cancelled.`
        : `${amount} of your order ${order.orderId} is being refunded to your card.`,
      `Reason: ${refund.reason}`,
      ...(kept.length && order.status === 'paid' ? ['Your other tickets stay valid.'] : []),
    ],
    event: eventOf(order, a.event),
    lines: voided.length
      ? {
          caption: 'These tickets are no longer valid',
          items: voided.map((i) => ({
            what: lineName(i, a.event),
            ref: refOf.get(i.unitId) ?? null,
            price: null,
          })),
        }
      : null,
    total: dispute ? null : { label: 'Refunded', amount },
    button: { label: 'View your tickets', url: a.ticketsUrl },
    notes: dispute ? [] : ['Refunds usually reach your account within 5 to 10 days.'],
  };
}

/** A paid order's event was cancelled: its tickets are void and the money goes back. */
export function cancellationMail(a: {
  order: OrderView;
  event: MailEvent | undefined;
  tickets: { unitId: string; ticketId: string }[];
  /** What goes back: what was paid less earlier refunds. */
  refundMinor: number;
  ticketsUrl: string;
}): FanMail {
  const { order } = a;
  const title = a.event?.title ?? order.eventTitle;
  const refOf = new Map(a.tickets.map((t) => [t.unitId, ticketRef(t.ticketId)]));
  const paid = formatMoney(a.refundMinor, order.currency);
  return {
    subject: `${title} is cancelled`,
    preheader: `Your tickets are no longer valid; the ${paid} you paid is refunded.`,
    heading: 'This event is cancelled',
    paragraphs: [
      `We are sorry: the organiser cancelled ${title}. Your tickets of order ${order.orderId} are no longer valid.`,
      `The ${paid} you paid is refunded to your card; you need not do anything.`,
    ],
    event: eventOf(order, a.event),
    lines: {
      caption: 'These tickets are no longer valid',
      items: order.items.map((i) => ({
        what: lineName(i, a.event),
        ref: refOf.get(i.unitId) ?? null,
        price: null,
      })),
    },
    total: { label: 'To be refunded', amount: paid },
    button: { label: 'View your tickets', url: a.ticketsUrl },
    notes: ['Refunds usually reach your account within 5 to 10 days.'],
  };
}

/**
 * "Your turn is near" (issue 20.8): the fan ticked "E-mail me when I'm nearly there" on the
 * queue page and the queue now has at most the event's threshold of fans ahead of them.
 */
export function turnNearMail(a: { event: MailEvent; ahead: number; queueUrl: string }): FanMail {
  const title = a.event.title;
  const ahead =
    a.ahead === 0
      ? 'You are next in the queue'
      : `About ${new Intl.NumberFormat('en').format(a.ahead)} ${a.ahead === 1 ? 'fan is' : 'fans are'} ahead of you in the queue`;
  return {
    subject: `Your turn is near: ${title}`,
    preheader: `${ahead}. Go back to the queue page now.`,
    heading: 'Your turn is near',
    paragraphs: [
      `${ahead} for ${title}. Go back to the queue page now: when your number comes up, you have only a short time to claim your turn.`,
      'Keep the page open: it takes you to the tickets the moment your turn comes.',
    ],
    event: {
      title,
      when: eventWhen(a.event.startsAt, a.event.timeZone),
      venue: a.event.venue || null,
    },
    lines: null,
    total: null,
    button: { label: 'Back to the queue', url: a.queueUrl },
    notes: [
      'You get this e-mail once, because you ticked "E-mail me when I\'m nearly there" on the queue page. It comes only for queues where you tick that box: leave it unticked, or untick it before your turn is near, and none is sent.',
    ],
    footer: {
      text: 'Sent by TicketSlave because you asked to hear when your turn is near.',
      link: { label: 'Your place in the queue', url: a.queueUrl },
    },
  };
}

export function renderMail(m: FanMail): RenderedMail {
  return { subject: m.subject, text: renderText(m), html: renderHtml(m) };
}

export function renderText(m: FanMail): string {
  const out: string[] = [m.paragraphs.join('\n\n'), ''];
  out.push([m.event.title, m.event.when, m.event.venue].filter(Boolean).join('\n'), '');
  if (m.lines) {
    out.push(`${m.lines.caption}:`);
    for (const l of m.lines.items) {
      out.push(`  ${l.what}${l.price ? `  ${l.price}` : ''}`);
      if (l.ref) out.push(`    ticket ref: ${l.ref}`);
    }
    out.push('');
  }
  if (m.total) out.push(`${m.total.label}: ${m.total.amount}`, '');
  out.push(`${m.button.label}: ${m.button.url}`);
  for (const n of m.notes) out.push('', n);
  if (m.footer) out.push('', '--', m.footer.text);
  return `${out.join('\n')}\n`;
}

/** Text for an HTML text node or a double-quoted attribute. */
export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const INK = '#1f2430';
const MUTED = '#5b6272';
const ACCENT = '#4338ca';

/**
 * The HTML part: one centred 600 px table, inline styles only (mail clients drop <style>
 * and flexbox), a bulletproof button (a padded link in a coloured cell).
 */
export function renderHtml(m: FanMail): string {
  const e = escapeHtml;
  const p = (text: string) =>
    `<p style="margin:0 0 14px;${FONT};font-size:15px;line-height:22px;color:${INK}">${e(text)}</p>`;
  const lines = m.lines
    ? `<tr><td style="padding:8px 32px 0">
<p style="margin:0 0 8px;${FONT};font-size:13px;font-weight:600;text-transform:uppercase;letter-spacing:.04em;color:${MUTED}">${e(m.lines.caption)}</p>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse">
${m.lines.items
  .map(
    (l) => `<tr>
<td style="padding:10px 0;border-top:1px solid #e6e8ee;${FONT};font-size:15px;line-height:20px;color:${INK}">${e(l.what)}${
      l.ref
        ? `<br><span style="font-size:13px;color:${MUTED}">Ref. <span style="font-family:Menlo,Consolas,monospace;letter-spacing:.05em">${e(l.ref)}</span></span>`
        : ''
    }</td>
<td align="right" style="padding:10px 0;border-top:1px solid #e6e8ee;${FONT};font-size:15px;color:${INK};white-space:nowrap">${l.price ? e(l.price) : ''}</td>
</tr>`,
  )
  .join('\n')}
${
  m.total
    ? `<tr><td style="padding:12px 0;border-top:2px solid ${INK};${FONT};font-size:15px;font-weight:600;color:${INK}">${e(m.total.label)}</td>
<td align="right" style="padding:12px 0;border-top:2px solid ${INK};${FONT};font-size:15px;font-weight:600;color:${INK};white-space:nowrap">${e(m.total.amount)}</td></tr>`
    : ''
}
</table></td></tr>`
    : m.total
      ? `<tr><td style="padding:8px 32px 0">${p(`${m.total.label}: ${m.total.amount}`)}</td></tr>`
      : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(m.subject)}</title></head>
<body style="margin:0;padding:0;background:#f3f4f7">
<div style="display:none;max-height:0;overflow:hidden;opacity:0">${e(m.preheader)}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f3f4f7">
<tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background:#ffffff;border-radius:8px;border-collapse:separate">
<tr><td style="padding:20px 32px;background:${ACCENT};border-radius:8px 8px 0 0;${FONT};font-size:18px;font-weight:700;color:#ffffff">TicketSlave</td></tr>
<tr><td style="padding:28px 32px 4px">
<h1 style="margin:0 0 16px;${FONT};font-size:22px;line-height:28px;color:${INK}">${e(m.heading)}</h1>
${m.paragraphs.map(p).join('\n')}
</td></tr>
<tr><td style="padding:4px 32px 12px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f6f7fb;border-radius:6px">
<tr><td style="padding:14px 16px;${FONT}">
<div style="font-size:17px;font-weight:700;color:${INK}">${e(m.event.title)}</div>
${m.event.when ? `<div style="margin-top:4px;font-size:14px;color:${MUTED}">${e(m.event.when)}</div>` : ''}
${m.event.venue ? `<div style="margin-top:2px;font-size:14px;color:${MUTED}">${e(m.event.venue)}</div>` : ''}
</td></tr></table>
</td></tr>
${lines}
<tr><td align="center" style="padding:24px 32px 8px">
<table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr>
<td align="center" bgcolor="${ACCENT}" style="border-radius:6px;background:${ACCENT}">
<a href="${e(m.button.url)}" style="display:inline-block;padding:12px 28px;${FONT};font-size:16px;font-weight:600;color:#ffffff;text-decoration:none;border-radius:6px">${e(m.button.label)}</a>
</td></tr></table>
</td></tr>
<tr><td style="padding:12px 32px 28px">
${m.notes.map((n) => `<p style="margin:0 0 8px;${FONT};font-size:13px;line-height:19px;color:${MUTED}">${e(n)}</p>`).join('\n')}
</td></tr>
</table>
<p style="margin:16px 0 0;${FONT};font-size:12px;color:#8a90a0">${e(m.footer?.text ?? 'Sent by TicketSlave about your order.')} <a href="${e(m.footer?.link.url ?? m.button.url)}" style="color:#8a90a0">${e(m.footer?.link.label ?? 'Your tickets')}</a></p>
</td></tr></table>
</body></html>
`;
}
