export * from './locale';
export * from './catalogue';
export * from './active-locale';
export * from './locale.svelte';
