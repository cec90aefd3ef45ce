import nodemailer, { type Transporter } from 'nodemailer';
import { startSmtp, waitForMail, type InboxMessage, type SmtpStandIn } from './smtp';

describe('SMTP stand-in with nodemailer', () => {
  let smtp: SmtpStandIn;
  let mailer: Transporter;

  beforeAll(async () => {
    smtp = await startSmtp({ port: 0, httpPort: 0 });
    mailer = nodemailer.createTransport({
      host: '127.0.0.1',
      port: smtp.port,
      secure: false,
      ignoreTLS: true,
    });
  });

  afterAll(async () => {
    mailer.close();
    await smtp.stop();
  });

  beforeEach(async () => {
    expect((await fetch(`${smtp.inboxUrl}/messages`, { method: 'DELETE' })).status).toBe(204);
  });

  it('keeps a sent message with its parsed parts, readable over HTTP', async () => {
    await mailer.sendMail({
      from: '"TicketSlave" <no-reply@ticketslave.test>',
      to: 'Fan@Example.test',
      subject: 'Verify your e-mail',
      text: 'Open http://localhost:8080/feed/verify?t=abc',
      html: '<p>Open <a href="http://localhost:8080/feed/verify?t=abc">this link</a></p>',
    });

    const list = (await (
      await fetch(`${smtp.inboxUrl}/messages?to=fan@example.test`)
    ).json()) as InboxMessage[];
    expect(list).toHaveLength(1);
    const [msg] = list;
    expect(msg).toMatchObject({
      from: '"TicketSlave" <no-reply@ticketslave.test>',
      to: ['fan@example.test'],
      subject: 'Verify your e-mail',
      text: 'Open http://localhost:8080/feed/verify?t=abc',
    });
    expect(msg!.html).toContain('href="http://localhost:8080/feed/verify?t=abc"');
    expect(Date.parse(msg!.date)).not.toBeNaN();

    const one = await fetch(`${smtp.inboxUrl}/messages/${msg!.id}`);
    expect(await one.json()).toEqual(msg);
  });

  it('filters by recipient, including Bcc, and lists newest first', async () => {
    await mailer.sendMail({
      from: 'a@x.test',
      to: 'one@x.test',
      bcc: 'hidden@x.test',
      subject: 'first',
      text: '1',
    });
    await mailer.sendMail({ from: 'a@x.test', to: 'one@x.test', subject: 'second', text: '2' });

    const forOne = (await (await fetch(`${smtp.inboxUrl}/messages?to=one@x.test`)).json()) as InboxMessage[];
    expect(forOne.map((m) => m.subject)).toEqual(['second', 'first']);
    const forHidden = (await (
      await fetch(`${smtp.inboxUrl}/messages?to=hidden@x.test`)
    ).json()) as InboxMessage[];
    expect(forHidden.map((m) => m.subject)).toEqual(['first']);
    const forNobody = (await (
      await fetch(`${smtp.inboxUrl}/messages?to=nobody@x.test`)
    ).json()) as InboxMessage[];
    expect(forNobody).toEqual([]);
  });

  it('empties the inbox on DELETE and answers 404 problem+json for an unknown id', async () => {
    await mailer.sendMail({ from: 'a@x.test', to: 'b@x.test', subject: 's', text: 't' });
    await fetch(`${smtp.inboxUrl}/messages`, { method: 'DELETE' });
    expect(await (await fetch(`${smtp.inboxUrl}/messages`)).json()).toEqual([]);

    const missing = await fetch(`${smtp.inboxUrl}/messages/does-not-exist`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
  });

  describe('waitForMail', () => {
    it('resolves when a matching message arrives later', async () => {
      const waiting = waitForMail(smtp.inboxUrl, {
        to: 'late@x.test',
        subjectIncludes: 'ticket',
        timeoutMs: 5000,
      });
      setTimeout(() => {
        void mailer.sendMail({ from: 'a@x.test', to: 'late@x.test', subject: 'Your ticket', text: 'qr' });
      }, 300);
      await expect(waiting).resolves.toMatchObject({ subject: 'Your ticket' });
    });

    it('rejects after the timeout when only non-matching mail arrives', async () => {
      await mailer.sendMail({ from: 'a@x.test', to: 'late@x.test', subject: 'Newsletter', text: 'x' });
      await expect(
        waitForMail(smtp.inboxUrl, { to: 'late@x.test', subjectIncludes: 'ticket', timeoutMs: 400 }),
      ).rejects.toThrow(/no mail to late@x.test/);
    });

    it('ignores messages older than `since`', async () => {
      await mailer.sendMail({ from: 'a@x.test', to: 'again@x.test', subject: 'Code 1', text: 'x' });
      const since = new Date(Date.now() + 5);
      await new Promise((r) => setTimeout(r, 10));
      await expect(
        waitForMail(smtp.inboxUrl, { to: 'again@x.test', since, timeoutMs: 300 }),
      ).rejects.toThrow();
      await mailer.sendMail({ from: 'a@x.test', to: 'again@x.test', subject: 'Code 2', text: 'x' });
      await expect(
        waitForMail(smtp.inboxUrl, { to: 'again@x.test', since, timeoutMs: 2000 }),
      ).resolves.toMatchObject({
        subject: 'Code 2',
      });
    });
  });
});
