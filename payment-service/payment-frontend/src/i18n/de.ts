import type { Translation } from '@ticketslave/ui';
import type { en } from './en';

export const de: Translation<typeof en> = {
  'page.title': 'Bezahlung',
  'page.eyebrow': 'Kasse',
  'page.description': 'Sie bezahlen sicher über Stripe. Ihre Karte wird erst belastet, wenn Ihre Plätze bestätigt sind.',
  'empty.title': 'Keine Bestellung zu bezahlen',
  'empty.body': 'Die Bezahlung beginnt mit einer Bestellung: Wählen Sie zuerst Ihre Plätze und gehen Sie dann zur Kasse.',
  'empty.myOrders': 'Meine Bestellungen',
  'empty.browse': 'Veranstaltungen ansehen',
  'loading': 'Ihre Bestellung wird geladen …',
  'loadFailed': 'Die Bestellung konnte nicht geladen werden',
  'pay.redirect': 'Sie werden zur sicheren Bezahlseite von Stripe weitergeleitet.',
  'pay.button': 'Mit Stripe bezahlen',
  'pay.retry': 'Erneut versuchen',
  'pay.failed': 'Die Bezahlung konnte nicht gestartet werden',
  'how.title': 'So funktioniert die Bezahlung',
  'how.body':
    'Der Betrag wird auf Ihrer Karte zunächst nur reserviert und erst abgebucht, wenn Ihre Plätze gesichert sind. Sind die Plätze weg, wird die Reservierung aufgehoben: keine Abbuchung, nichts zu erstatten.',
  'summary.title': 'Bestellübersicht',
  'summary.fallbackTitle': 'Ihre Tickets',
  'summary.heldFor': 'Plätze reserviert für',
  'summary.leftToPay': 'zum Bezahlen übrig',
  'summary.total': 'Gesamt',
  'summary.row': 'Reihe {row}',
  'summary.seat': 'Platz {seat}',
  'summary.ga': 'Stehplatz / freie Platzwahl',
  'outcome.paidTitle': 'Bezahlt – Ihre Tickets finden Sie unter „Meine Tickets“',
  'outcome.paidBody': 'Ihre Plätze sind bestätigt und Ihre Karte wurde belastet.',
  'outcome.toTickets': 'Zu meinen Tickets',
  'outcome.readyTitle': 'Ihre Tickets sind bereit – Sie finden sie unter „Meine Tickets“',
  'outcome.readyBody': 'Ihre Plätze sind bestätigt; Ihre Karte wird gerade belastet.',
  'outcome.authorised': 'Karte autorisiert – Ihre Plätze werden gesichert …',
  'outcome.confirming': 'Ihre Zahlung wird mit Stripe bestätigt …',
  'outcome.waitBody': 'Ihre Karte wird erst belastet, wenn Ihre Plätze bestätigt sind. Das dauert meist nur wenige Sekunden.',
  'outcome.slow':
    'Es dauert länger als üblich. Sie können diese Seite verlassen – Ihre Bestellung erscheint unter „Meine Bestellungen“.',
  'outcome.cancelledTitle': 'Bezahlung nicht abgeschlossen',
  'outcome.cancelledBody':
    'Es wurde nichts abgebucht. Ihre Plätze bleiben reserviert, bis der Timer abläuft – Sie können es erneut versuchen, auch mit einer anderen Karte, falls Ihre abgelehnt wurde.',
  'outcome.voidedTitle': 'Diese Bestellung ist nicht zustande gekommen',
  'outcome.voidedBody':
    'Ihre Plätze konnten nicht gehalten werden, daher wurde die Reservierung auf Ihrer Karte aufgehoben. Es wurde nichts abgebucht.',
  'outcome.browse': 'Veranstaltungen ansehen',
  'outcome.expiredTitle': 'Ihre Reservierung ist abgelaufen',
  'outcome.expiredBody': 'Die Zeit zum Bezahlen ist abgelaufen, und die Plätze sind wieder im Verkauf. Es wurde nichts abgebucht.',
  'outcome.failedTitle': 'Wir konnten die Zahlung nicht einziehen',
  'outcome.failedBody':
    'Die Autorisierung auf Ihrer Karte war beim Abbuchen nicht mehr gültig, daher wurden Ihre Plätze freigegeben. Es wurde nichts abgebucht.',
  'outcome.refundedTitle': 'Diese Bestellung wurde erstattet',
  'outcome.refundedBody': 'Das Geld ist auf dem Weg zurück auf Ihre Karte; die Tickets dieser Bestellung sind nicht mehr gültig.',
};
