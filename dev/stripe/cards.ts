import { createHash } from 'node:crypto';

/** What a test card number does, following Stripe's published test cards. */
export type CardOutcome =
  | { kind: 'approved'; brand: string; last4: string; fingerprint: string; disputeReason?: string }
  | { kind: 'declined'; code: string; declineCode?: string; message: string; last4: string }
  | { kind: 'invalid'; message: string };

const APPROVED: Record<string, string> = {
  '4242424242424242': 'visa',
  '4000056655665556': 'visa',
  '5555555555554444': 'mastercard',
  '2223003122003222': 'mastercard',
  '378282246310005': 'amex',
};

/** Approved, then disputed by the card holder's bank once the money is taken (Stripe's test card). */
const DISPUTED: Record<string, string> = {
  '4000000000000259': 'fraudulent',
  '4000000000001976': 'product_not_received',
};

const DECLINED: Record<string, { code: string; declineCode?: string; message: string }> = {
  '4000000000000002': {
    code: 'card_declined',
    declineCode: 'generic_decline',
    message: 'Your card was declined.',
  },
  '4000000000009995': {
    code: 'card_declined',
    declineCode: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
  '4000000000009987': { code: 'card_declined', declineCode: 'lost_card', message: 'Your card was declined.' },
  '4000000000000069': { code: 'expired_card', message: 'Your card has expired.' },
  '4000000000000127': { code: 'incorrect_cvc', message: "Your card's security code is incorrect." },
};

/**
 * Stripe's `card.fingerprint`: the same for every payment with one card number (across
 * customers and sessions), different for another number; 16 alphanumeric characters.
 */
export function cardFingerprint(number: string): string {
  return createHash('sha256')
    .update(`ticketslave-stripe-standin:${number}`)
    .digest('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 16);
}

export function classifyCard(input: string): CardOutcome {
  const number = input.replace(/[\s-]/g, '');
  const fingerprint = cardFingerprint(number);
  const brand = APPROVED[number];
  if (brand) return { kind: 'approved', brand, last4: number.slice(-4), fingerprint };
  const disputeReason = DISPUTED[number];
  if (disputeReason)
    return { kind: 'approved', brand: 'visa', last4: number.slice(-4), fingerprint, disputeReason };
  const declined = DECLINED[number];
  if (declined) return { kind: 'declined', ...declined, last4: number.slice(-4) };
  if (!/^\d{12,19}$/.test(number)) return { kind: 'invalid', message: 'Your card number is incomplete.' };
  // Real test mode turns away real-looking numbers too; saying so points the tester at the test cards.
  return {
    kind: 'invalid',
    message:
      'Your card was declined. Your request was in test mode, but used a non test card. Use 4242 4242 4242 4242.',
  };
}
