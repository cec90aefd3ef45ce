import nodemailer, { type Transporter } from 'nodemailer';
import type { OrderView } from '../domain/orders';

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
      const what = i.section
        ? `  ${i.section}, row ${i.row}, seat ${i.seat}`
        : `  ${i.categoryId} (general admission)`;
      const code = codeOf.get(i.unitId);
      return code ? `${what}\n    ticket code: ${code}` : what;
    });
    const total = `${(order.amountMinor / 100).toFixed(2)} ${order.currency}`;
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

/** SMTP connections are kept and reused (nodemailer's pool), unless the URL says otherwise. */
function pooled(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  if (!url.searchParams.has('pool')) url.searchParams.set('pool', 'true');
  return url.toString();
}
