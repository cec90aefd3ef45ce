import nodemailer from 'nodemailer';
import type { Part } from '@ticketslave/common';
import type { Mail, Mailer } from '../domain/account-ports';

/** Account mail over SMTP; one pooled transport per process. */
export function smtpMailer(smtpUrl: string, from: string): Mailer & Part {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    name: 'smtp-mailer',
    start: async () => undefined,
    stop: async () => transport.close(),
    send: async (mail: Mail) => {
      await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text });
    },
  };
}
