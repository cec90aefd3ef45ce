import { defineFrontendConfig } from '@ticketslave/ui/vite';
// The service worker keeps "My tickets" for the door with no network (src/sw.ts).
export default defineFrontendConfig('purchase', import.meta.dirname, { serviceWorker: 'src/sw.ts' });
