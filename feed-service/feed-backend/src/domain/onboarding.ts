import { AuthError, ConflictError, NotFoundError, type Clock, type Logger } from '@ticketslave/common';
import type { Mailer } from './account-ports';
import type { Application, ApplicationInput, OrganisationStore } from './organisation-ports';
import { createOrganisation, sendInBackground, type Actor } from './organisations';

/**
 * Becoming an organiser: a signed-in person applies with their organisation's details, an
 * admin approves (the organisation is created with them as its owner) or rejects with a
 * reason; either way the applicant hears by e-mail.
 */
export class Onboarding {
  constructor(
    private readonly d: {
      store: OrganisationStore;
      mailer: Mailer;
      clock: Clock;
      logger: Logger;
      publicBaseUrl: string;
    },
  ) {}

  async apply(actor: Actor, input: ApplicationInput): Promise<Application> {
    const created = await this.d.store.transaction((tx) => tx.insertApplication(actor.sub, input));
    if (created === 'no_account')
      throw new AuthError('Your account no longer exists. Sign in again or register.', 'account_gone');
    if (created === 'pending')
      throw new ConflictError(
        'You already have an application waiting for a decision.',
        'application_pending',
      );
    return created;
  }

  mine = (actor: Actor) => this.d.store.applicationsOf(actor.sub);

  list = (status: Application['status'] | undefined) => this.d.store.applications(status, 200);

  async approve(admin: Actor, id: string): Promise<Application> {
    const decided = await this.d.store.transaction(async (tx) => {
      const app = this.pending(await tx.lockApplication(id));
      const organisationId = await createOrganisation(tx, {
        name: app.organisationName,
        ownerId: app.userId,
        actorId: admin.sub,
        now: this.d.clock.now(),
        details: { applicationId: app.id },
      });
      return tx.decideApplication(id, {
        status: 'approved',
        reason: null,
        decidedBy: admin.sub,
        organisationId,
      });
    });
    sendInBackground(this.d.mailer, this.d.logger, {
      to: decided.email,
      subject: `${decided.organisationName} can now sell tickets on TicketSlave`,
      text:
        `Good news: your application to organise as ${decided.organisationName} was approved.\n\n` +
        `Your dashboard: ${this.link('/feed/dashboard')}\n\n` +
        `Create your first event there, and invite your team (managers and door staff) from "Team".\n`,
    });
    return decided;
  }

  async reject(admin: Actor, id: string, reason: string): Promise<Application> {
    const decided = await this.d.store.transaction(async (tx) => {
      this.pending(await tx.lockApplication(id));
      return tx.decideApplication(id, {
        status: 'rejected',
        reason,
        decidedBy: admin.sub,
        organisationId: null,
      });
    });
    sendInBackground(this.d.mailer, this.d.logger, {
      to: decided.email,
      subject: `Your application to organise on TicketSlave`,
      text:
        `Thank you for applying to organise as ${decided.organisationName}. We cannot approve it as it stands:\n\n` +
        `${reason}\n\nYou are welcome to apply again: ${this.link('/feed/organise')}\n`,
    });
    return decided;
  }

  private pending(app: Application | undefined): Application {
    if (!app) throw new NotFoundError('No such application.', 'application_not_found');
    if (app.status !== 'pending')
      throw new ConflictError(`This application was already ${app.status}.`, 'already_decided');
    return app;
  }

  private link(path: string): string {
    return new URL(path, this.d.publicBaseUrl).toString();
  }
}
