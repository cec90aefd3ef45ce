import nodemailer, { type Transporter } from 'nodemailer';
import type { OrderView } from '../domain/orders';
import type { Refund } from '../domain/ports';
import { money } from '../domain/money';

/** Order confirmations (sent by the mail outbox). Without SMTP_URL nothing is sent (tickets are on the site anyway). */
export class Mailer {
  private readonly transport: Transporter | null;

  constructor(
    smtpUrl: string | undefined,
    private readonly from: string,
    private readonly publicBaseUrl: string,
  ) {
    this.transport = smtpUrl ? nodemailer.createTransport(pooled(smtpUrl)) : null;
  }

  /** Whether e-mail goes anywhere (SMTP_URL set). */
  get enabled(): boolean {
    return this.transport !== null;
  }

  close(): void {
    this.transport?.close();
  }

  /** The money of (part of) an order went back: which tickets are void now, how much, and why. */
  async sendRefund(to: string, order: OrderView, refund: Refund): Promise<void> {
    if (!this.transport) return;
    const units = new Set(refund.unitIds);
    const voided = order.items.filter((i) => units.has(i.unitId)).map((i) => `  ${seatName(i)}`);
    const kept = order.items.filter((i) => !units.has(i.unitId));
    const what =
      refund.source === 'dispute'
        ? `Your bank disputed the payment for order ${order.orderId}, so its tickets are cancelled.`
        : `${money(refund.amountMinor, order.currency)} of your order ${order.orderId} is being refunded to your card.`;
    const link = new URL('/purchase/tickets', this.publicBaseUrl).toString();
    await this.transport.sendMail({
      from: this.from,
      to,
      subject:
        refund.source === 'dispute'
          ? `Your tickets for ${order.eventTitle} were cancelled`
          : `Refund for ${order.eventTitle}`,
      text:
        `${what}\n\nReason: ${refund.reason}\n\n` +
        (voided.length ? `These tickets are no longer valid:\n${voided.join('\n')}\n\n` : '') +
        (kept.length && order.status === 'paid'
          ? `Your other tickets stay valid: ${link}\n`
          : `Your tickets: ${link}\n`) +
        (refund.source === 'dispute' ? '' : '\nRefunds usually reach your account within 5 to 10 days.\n'),
    });
  }

  /**
   * `tickets` are the order's issued tickets: each line names the seat and carries
   * the ticket's code (what its QR code encodes), so door staff can type it in.
   */
  async sendTicketsReady(
    to: string,
    order: OrderView,
    tickets: { unitId: string; code: string }[] = [],
  ): Promise<void> {
    if (!this.transport) return;
    const codeOf = new Map(tickets.map((t) => [t.unitId, t.code]));
    const lines = order.items.map((i) => {
      const what = `  ${seatName(i)}`;
      const code = codeOf.get(i.unitId);
      return code ? `${what}\n    ticket code: ${code}` : what;
    });
    const total = money(order.amountMinor, order.currency);
    const link = new URL('/purchase/tickets', this.publicBaseUrl).toString();
    // A failure throws: the mail outbox tries again later (the tickets are on the site meanwhile).
    await this.transport.sendMail({
      from: this.from,
      to,
      subject: `Your tickets for ${order.eventTitle}`,
      text: `Thank you! Your order ${order.orderId} is paid (${total}).\n\n${lines.join('\n')}\n\nYour tickets with QR codes: ${link}\n`,
    });
  }
}

/** What a seat is called in a mail. */
const seatName = (i: {
  section: string | null;
  row: string | null;
  seat: number | null;
  categoryId: string;
}) => (i.section ? `${i.section}, row ${i.row}, seat ${i.seat}` : `${i.categoryId} (general admission)`);

/** SMTP connections are kept and reused (nodemailer's pool), unless the URL says otherwise. */
function pooled(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  if (!url.searchParams.has('pool')) url.searchParams.set('pool', 'true');
  return url.toString();
}
