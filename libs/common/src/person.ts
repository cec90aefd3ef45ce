/**
 * One person, one place (issue 17.8): the form of an e-mail address under which draw entries
 * and per-fan limits are keyed, so `a+1@` and `a+2@` — two verified accounts on one inbox — are
 * one person there. Lowercased; a `+tag` after the local part dropped (every major provider
 * delivers it to the same inbox); for Gmail, whose addresses ignore dots, the dots dropped and
 * `googlemail.com` read as `gmail.com`.
 */
const DOTLESS_DOMAINS = new Set(['gmail.com', 'googlemail.com']);

export function canonicalEmail(email: string): string {
  const address = email.trim().toLowerCase();
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return address;
  let local = address.slice(0, at);
  let domain = address.slice(at + 1);
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  if (DOTLESS_DOMAINS.has(domain)) {
    local = local.replaceAll('.', '');
    domain = 'gmail.com';
  }
  return `${local}@${domain}`;
}
