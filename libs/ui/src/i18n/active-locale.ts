/**
 * The formatting locale the helpers in format.ts and zoned-time.ts use when a caller
 * names none. A plain module (no runes), so those helpers stay testable in jest; the
 * browser's locale state registers itself here, and reading it there keeps pages reactive
 * to the language switch.
 */
let source: () => string | undefined = () => undefined;

export function activeFormatLocale(): string | undefined {
  return source();
}

export function setActiveFormatLocaleSource(read: () => string | undefined): void {
  source = read;
}
