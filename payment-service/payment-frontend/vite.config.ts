import { defineFrontendConfig } from '@ticketslave/ui/vite';
export default defineFrontendConfig('payment', import.meta.dirname);
