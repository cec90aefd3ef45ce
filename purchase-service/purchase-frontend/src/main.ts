import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';

export default mount(App, { target: document.getElementById('app')! });

// The service worker (src/sw.ts) brings "My tickets" back with no network at the door (issue
// 20.6). Built and served only in production builds (`vite build`), over http(s); `?assets=`
// tells it where this build's files come from when that is a CDN (this script's directory).
if (import.meta.env.PROD && 'serviceWorker' in navigator && /^https?:$/.test(location.protocol)) {
  const base = import.meta.env.BASE_URL;
  const assets = new URL(/* @vite-ignore */ '.', import.meta.url);
  const query = assets.origin === location.origin ? '' : `?assets=${encodeURIComponent(assets.href)}`;
  // After the page's own loading: the worker's precaching then does not compete with it.
  window.addEventListener('load', () => {
    navigator.serviceWorker.register(`${base}sw.js${query}`, { scope: base }).catch((err: unknown) => {
      console.warn('The offline copy of this page could not be set up:', err);
    });
  });
}
