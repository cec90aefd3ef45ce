import nodemailer, { type Transporter } from 'nodemailer';
import { renderMail, type FanMail } from './mail-content';

/**
 * Sends fans' mails (by the mail outbox): each as multipart/alternative, an HTML part and a
 * text part rendered from one model (mail-content.ts). Without SMTP_URL nothing is sent
 * (tickets are on the site anyway).
 */
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

  /** Where the mails' "View your tickets" button goes. */
  get ticketsUrl(): string {
    return new URL('/purchase/tickets', this.publicBaseUrl).toString();
  }

  /** Where "your turn is near" sends the fan: their place in the event's queue. */
  queueUrl(eventId: string): string {
    const url = new URL('/queue/', this.publicBaseUrl);
    url.searchParams.set('event', eventId);
    return url.toString();
  }

  close(): void {
    this.transport?.close();
  }

  /** A failure throws: the mail outbox tries again later. */
  async send(to: string, mail: FanMail): Promise<void> {
    if (!this.transport) return;
    const { subject, text, html } = renderMail(mail);
    await this.transport.sendMail({ from: this.from, to, subject, text, html });
  }
}

/** SMTP connections are kept and reused (nodemailer's pool), unless the URL says otherwise. */
function pooled(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  if (!url.searchParams.has('pool')) url.searchParams.set('pool', 'true');
  return url.toString();
}
