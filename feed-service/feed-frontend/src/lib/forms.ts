import { errorMessage, isApiError } from '@ticketslave/ui';

/** The server's field-level messages by field (`body.` dropped), to show next to each field. */
export function fieldErrorsOf(e: unknown): Record<string, string> {
  if (!isApiError(e)) return {};
  return Object.fromEntries((e.errors ?? []).map((f) => [f.path.replace(/^body\./, ''), f.message]));
}

/** The sentence above a form: when fields are marked, point at them instead of repeating the first one. */
export function formErrorOf(e: unknown): string {
  if (isApiError(e) && e.errors?.length) {
    const n = e.errors.length;
    return n === 1 ? 'Check the field marked below.' : `Check the ${n} fields marked below.`;
  }
  return errorMessage(e);
}
