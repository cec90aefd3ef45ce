import { translator } from './locale.svelte';
import { uiDe } from './ui-de';
import { uiEn } from './ui-en';

/** `t` for the shared components. */
export const uiT = translator({ en: uiEn, de: uiDe });
