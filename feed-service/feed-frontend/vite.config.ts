import { defineFrontendConfig } from '@ticketslave/ui/vite';
export default defineFrontendConfig('feed', import.meta.dirname);
