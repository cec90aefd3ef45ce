import { translator } from '@ticketslave/ui';
import { de } from './de';
import { en } from './en';

/** `t(key, params)` in the page's language. */
export const t = translator({ en, de });
