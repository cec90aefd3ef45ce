import { enqueueMessages, type Queryable } from '@ticketslave/common';
import type { DataSource } from 'typeorm';
import type { PurchaseStore, Transact } from '../domain/ports';
import { PgEventStore } from './events-repo';
import { PgMailOutbox } from './mail-outbox-repo';
import { PgOrderStore } from './orders-repo';
import { PgPublicationStore } from './publications-repo';
import { PgTicketStore } from './tickets-repo';
import { PgUnitStore } from './units-repo';
import { PgOrganisationStore } from './organisations-repo';
import { PgRefundStore } from './refunds-repo';
import { PgCheckinStore } from './checkin-repo';

/** The purchase tables on `db`: a transaction's entity manager, or the DataSource (each statement its own). */
export function purchaseStore(db: Queryable): PurchaseStore {
  return {
    events: new PgEventStore(db),
    units: new PgUnitStore(db),
    orders: new PgOrderStore(db),
    tickets: new PgTicketStore(db),
    publications: new PgPublicationStore(db),
    organisations: new PgOrganisationStore(db),
    refunds: new PgRefundStore(db),
    checkins: new PgCheckinStore(db),
    queueConfirmationMail: (orderId) => new PgMailOutbox(db).queue(orderId),
    queueRefundMail: (orderId, refundId, unlessCancelled) =>
      new PgMailOutbox(db).queueRefund(orderId, refundId, unlessCancelled),
    queueCancellationMails: (eventId) => new PgMailOutbox(db).queueCancellations(eventId),
    enqueue: (messages) => enqueueMessages(db, messages),
  };
}

export const transact =
  (ds: DataSource): Transact =>
  (fn) =>
    ds.transaction((em) => fn(purchaseStore(em)));
