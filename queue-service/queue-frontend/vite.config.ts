import { defineFrontendConfig } from '@ticketslave/ui/vite';
export default defineFrontendConfig('queue', import.meta.dirname);
