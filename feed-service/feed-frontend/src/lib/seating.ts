import { rowLabelsOrNone } from '@ticketslave/contracts';
import type { Section } from './types';

/** Rows the editor's preview draws for a range: as the server expands them, at most 200, none while invalid. */
export const rowLabels = (from: string, to?: string): string[] => rowLabelsOrNone(from, to).slice(0, 200);

export const sectionSeats = (s: Section) =>
  s.rows.reduce((n, r) => n + rowLabelsOrNone(r.from, r.to).length * r.seats, 0);
