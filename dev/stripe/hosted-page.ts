import type { SessionRecord } from './store';

export function formatAmount(amount: number, currency: string): string {
  const format = new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amount / 10 ** digits);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
  :root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
  body { margin: 0; background: #f6f8fa; color: #1a1f36; }
  main { max-width: 28rem; margin: 2rem auto; padding: 1.5rem; background: #fff; border-radius: .75rem; box-shadow: 0 1px 4px rgba(0,0,0,.12); }
  h1 { font-size: 1.25rem; margin: 0 0 .25rem; }
  .badge { display: inline-block; font-size: .75rem; background: #ffde92; color: #6b4b00; border-radius: .25rem; padding: .1rem .4rem; }
  .total { font-size: 2rem; font-weight: 600; margin: .5rem 0 1rem; }
  table { width: 100%; border-collapse: collapse; margin-bottom: 1.25rem; font-size: .95rem; }
  td { padding: .35rem 0; border-bottom: 1px solid #e3e8ee; }
  td.num { text-align: right; white-space: nowrap; }
  label { display: block; font-size: .85rem; font-weight: 600; margin: .75rem 0 .25rem; }
  input { box-sizing: border-box; width: 100%; font: inherit; padding: .6rem .7rem; border: 1px solid #cfd7df; border-radius: .4rem; }
  input:focus, button:focus-visible { outline: 3px solid #7a73ff; outline-offset: 1px; }
  .row { display: flex; gap: .75rem; } .row > div { flex: 1; }
  .error { background: #fdecea; color: #8a1c12; border-radius: .4rem; padding: .6rem .75rem; margin-bottom: .5rem; }
  .actions { display: flex; gap: .75rem; margin-top: 1.25rem; }
  button { flex: 1; font: inherit; font-weight: 600; padding: .7rem; border-radius: .4rem; border: 1px solid #cfd7df; background: #fff; cursor: pointer; }
  button.pay { background: #635bff; border-color: #635bff; color: #fff; }
  .hint { font-size: .8rem; color: #5c6b7a; margin-top: 1rem; }
  @media (max-width: 30rem) { main { margin: 0; border-radius: 0; min-height: 100vh; } }
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Stripe stand-in</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

export function checkoutPage(record: SessionRecord, error?: string): string {
  const { session, lineItems } = record;
  const total = formatAmount(session.amount_total, session.currency);
  const rows = lineItems
    .map(
      (li) =>
        `<tr><td>${escapeHtml(li.description)} × ${li.quantity}</td><td class="num">${formatAmount(li.amount_total, li.currency)}</td></tr>`,
    )
    .join('');
  const alert = error ? `<div class="error" role="alert" id="card-error">${escapeHtml(error)}</div>` : '';
  const describedBy = error ? ' aria-describedby="card-error" aria-invalid="true"' : '';
  return page(
    `Pay ${total}`,
    `<span class="badge">Test mode</span>
<h1>Pay</h1>
<p class="total" aria-label="Total">${total}</p>
<table aria-label="Order summary"><tbody>${rows}</tbody></table>
<form method="post" action="/pay/${encodeURIComponent(session.id)}">
  ${alert}
  <label for="card_number">Card number</label>
  <input id="card_number" name="card_number" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242" value=""${describedBy} autofocus>
  <label for="cardholder_name">Name on card</label>
  <input id="cardholder_name" name="cardholder_name" autocomplete="cc-name" value="">
  <div class="row">
    <div><label for="expiry">Expiry (MM / YY)</label>
    <input id="expiry" name="expiry" inputmode="numeric" autocomplete="cc-exp" placeholder="12 / 34" value=""></div>
    <div><label for="cvc">CVC</label>
    <input id="cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" placeholder="123" value=""></div>
  </div>
  <div class="actions">
    <button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
    <button type="submit" name="action" value="pay" class="pay">Pay ${total}</button>
  </div>
</form>
<p class="hint">Test cards: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined. Any future expiry and any CVC.</p>`,
  );
}

export function messagePage(title: string, message: string, link?: { href: string; text: string }): string {
  const action = link ? `<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a></p>` : '';
  return page(
    title,
    `<span class="badge">Test mode</span><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>${action}`,
  );
}

/** The checks Checkout's card form makes before anything reaches the card network. */
export function cardFormError(expiry: string, cvc: string, now = new Date()): string | undefined {
  const m = /^\s*(\d{1,2})\s*\/?\s*(\d{2}|\d{4})\s*$/.exec(expiry);
  if (!m) return "Your card's expiration date is incomplete.";
  const month = Number(m[1]);
  const year = Number((m[2] as string).length === 2 ? `20${m[2]}` : m[2]);
  if (month < 1 || month > 12) return "Your card's expiration date is invalid.";
  if (year < now.getUTCFullYear() || (year === now.getUTCFullYear() && month < now.getUTCMonth() + 1)) {
    return "Your card's expiration year is in the past.";
  }
  if (!/^\d{3,4}$/.test(cvc.trim())) return "Your card's security code is incomplete.";
  return undefined;
}
