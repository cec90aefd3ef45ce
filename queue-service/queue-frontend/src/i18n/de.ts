import type { Translation } from '@ticketslave/ui';
import type { en } from './en';

export const de: Translation<typeof en> = {
  'title.place': 'Ihr Platz in der Warteschlange',
  'title.turnFlash': '🔔 Sie sind dran!',
  'title.turn': 'Sie sind dran: jetzt bestätigen',
  eyebrow: 'Warteschlange',
  description:
    'Eingelassen wird streng in der Reihenfolge der Wartenummern. Lassen Sie diese Seite geöffnet; sie aktualisiert sich live.',
  'noEvent.title': 'Keine Veranstaltung ausgewählt',
  'noEvent.body':
    'Öffnen Sie die Warteschlange aus dem Warteraum einer Veranstaltung, um Ihren Platz zu sehen.',
  browse: 'Veranstaltungen ansehen',
  notAvailableYet: 'noch nicht verfügbar',
  logIn: 'Anmelden',
  toWaitingRoom: 'Zum Warteraum',
  'cancelled.title': 'Diese Veranstaltung wurde abgesagt',
  'cancelled.body':
    'Der Veranstalter hat die Veranstaltung abgesagt. Niemand wird mehr eingelassen; Zahlungen werden erstattet.',
  'admitted.title': 'Sie sind drin',
  'admitted.body': 'Sie haben Ihren Einlass bereits bestätigt.',
  'admitted.go': 'Zu den Tickets',
  'turn.title': 'Sie sind dran',
  'turn.claimNow': 'Bestätigen Sie jetzt Ihr Kaufzeitfenster. Sonst verfällt Ihr Einlass.',
  'turn.taking': 'Sie werden zu den Sitzplätzen weitergeleitet …',
  'turn.leftToClaim': 'zum Bestätigen übrig',
  'turn.claim': 'Einlass bestätigen',
  'sale.title': 'Verkaufsstart: {when}',
  'sale.body':
    'Vor dem Verkaufsstart wird niemand eingelassen. Lassen Sie diese Seite geöffnet: Dann geht es in der Reihenfolge der Wartenummern los.',
  'sale.until': 'bis zum Verkaufsstart',
  'soldOut.title': 'Ausverkauft',
  'soldOut.body':
    'Alle Tickets sind verkauft. Wir halten Ihren Platz: Werden Bestellungen storniert, kommen Tickets zurück und die Warteschlange bewegt sich wieder.',
  'inCarts.title': 'Alle übrigen Tickets liegen in Warenkörben',
  'inCarts.body': 'Der Einlass wartet, bis Warenkörbe ablaufen oder bezahlt sind. Ihr Platz bleibt erhalten.',
  'paused.title': 'Die Warteschlange ist angehalten',
  'paused.body': 'Der Veranstalter hat den Einlass angehalten. Ihr Platz bleibt erhalten.',
  'stat.ahead': 'Fans vor Ihnen',
  'stat.number': 'Ihre Wartenummer',
  'stat.wait': 'Geschätzte Wartezeit',
  'stat.now': 'jetzt',
  'progress.label': 'Fortschritt der Warteschlange',
  'progress.serving': 'Aktuell an der Reihe: Nummer {number}',
  'stat.serving': 'Aktuell an der Reihe',
  'stat.admitting': 'Einlass',
  'stat.perMinute': '{rate}/Min.',
  'stat.upToPerMinute': 'bis zu {rate}/Min.',
  'stat.left': 'Verfügbare Tickets',
  'stat.none': 'keine',
  notDrawn: 'Ihr Platz steht noch nicht fest: Die Nummern werden ausgelost, wenn der Warteraum schließt.',
  connecting: 'Verbindung zur Warteschlange wird hergestellt …',
  'announce.turn': 'Sie sind dran. Bestätigen Sie jetzt Ihr Kaufzeitfenster.',
  'announce.next': 'Sie sind als Nächstes dran.',
  'announce.ahead': { one: '{count} Fan vor Ihnen.', other: '{count} Fans vor Ihnen.' },
  'alerts.enable': 'Benachrichtigen, wenn ich dran bin',
  'alerts.explain':
    'Ein Ton, eine Benachrichtigung und der Titel dieses Tabs – so können Sie in einem anderen Tab warten.',
  'alerts.onAll':
    'Benachrichtigungen sind an: ein Ton, eine Benachrichtigung und der Tab-Titel, wenn Sie dran sind.',
  'alerts.onNoNotification': 'Benachrichtigungen sind an: ein Ton und der Tab-Titel, wenn Sie dran sind.',
  'alerts.onBlocked':
    'Benachrichtigungen sind an: ein Ton und der Tab-Titel, wenn Sie dran sind (Browser-Benachrichtigungen sind in Ihren Einstellungen blockiert).',
  leaving:
    'Wenn Sie diese Seite verlassen, verlieren Sie Ihren Platz nicht. Kommt Ihre Nummer aber an die Reihe, während Sie weg sind, bleibt Ihnen nur eine kurze Frist, um zurückzukommen.',
  'fairness.question': 'Möchten Sie prüfen, ob Ihre Nummer fair ausgelost wurde?',
  'fairness.link': 'Auslosung prüfen',
  'fairness.newTab': '(öffnet sich in einem neuen Tab, diese Seite bleibt offen).',
  'notification.title': 'Sie sind dran',
  'notification.body':
    'Bestätigen Sie Ihr Kaufzeitfenster bis {until}, sonst geht der Einlass an den nächsten Fan.',
  'close.unauthenticated.title': 'Bitte melden Sie sich an',
  'close.unauthenticated.detail':
    'Ihr Zugang zur Warteschlange fehlt oder ist nicht mehr gültig. Melden Sie sich an und öffnen Sie die Warteschlange erneut aus dem Warteraum.',
  'close.forbidden.title': 'Kein Platz in dieser Warteschlange',
  'close.forbidden.detail':
    'Dieser Zugang zur Warteschlange gilt nicht für diese Veranstaltung. Reihen Sie sich zuerst im Warteraum ein.',
  'close.replaced.title': 'In einem anderen Tab geöffnet',
  'close.replaced.detail':
    'Ihr Platz wird in einem anderen Tab oder auf einem anderen Gerät angezeigt. Nutzen Sie diesen weiter: Ihr Platz ist davon nicht betroffen.',
  'close.turnLapsed.title': 'Ihr Einlass ist verfallen',
  'close.turnLapsed.detail':
    'Ihre Nummer kam an die Reihe, während Sie weg waren, und die Frist ist abgelaufen. Das tut uns leid: Der Platz kann nicht zurückgegeben werden.',
  'nearMail.label': 'Mir eine E-Mail senden, wenn ich fast an der Reihe bin',
  'nearMail.hint': {
    one: 'Eine E-Mail an {email}, wenn noch etwa {count} Fan vor Ihnen ist: {lead} oder mehr, bevor Sie an der Reihe sind.',
    other:
      'Eine E-Mail an {email}, wenn noch etwa {count} Fans vor Ihnen sind: {lead} oder mehr, bevor Sie an der Reihe sind.',
  },
  'nearMail.sent': 'Wir haben Ihnen an {email} geschrieben: Sie sind bald an der Reihe.',
  'nearMail.nearly': 'Sie sind bald an der Reihe: Lassen Sie diese Seite geöffnet.',
};
