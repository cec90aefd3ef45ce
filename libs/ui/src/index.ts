// Components (file names kebab-case, exported under the names pages use).
export { default as AppShell } from './components/app-shell.svelte';
export { default as BrandMark } from './components/brand-mark.svelte';
export { default as Button } from './components/button.svelte';
export { default as TextField } from './components/text-field.svelte';
export { default as Select } from './components/select.svelte';
export { default as Checkbox } from './components/checkbox.svelte';
export { default as Card } from './components/card.svelte';
export { default as Alert } from './components/alert.svelte';
export { default as Spinner } from './components/spinner.svelte';
export { default as EmptyState } from './components/empty-state.svelte';
export { default as ErrorState } from './components/error-state.svelte';
export { default as Countdown } from './components/countdown.svelte';
export { default as ProgressBar } from './components/progress-bar.svelte';
export { default as Badge } from './components/badge.svelte';
export { default as Modal } from './components/modal.svelte';
export { default as ConfirmDialog } from './components/confirm-dialog.svelte';
export { default as ToastRegion } from './components/toast-region.svelte';
export { default as ConnectionStatus } from './components/connection-status.svelte';
export { default as PageHeader } from './components/page-header.svelte';
export { default as NotFound } from './components/not-found.svelte';
export { default as ProofOfWork } from './components/proof-of-work.svelte';

// State and helpers.
export * from './api';
export * from './api-client';
export * from './session.svelte';
export * from './user-storage';
export * from './live-socket.svelte';
export * from './router.svelte';
export * from './toasts.svelte';
export * from './format';
export * from './resource.svelte';
export type * from './types';
export * from './zoned-time';
export * from './my-places';
export * from './my-places.svelte';

// Language: the page's locale, typed catalogues, the shared components' words.
export { default as LanguageSwitch } from './components/language-switch.svelte';
export * from './i18n';
export { uiT } from './i18n/ui.svelte';
