import { defineFrontendConfig } from '@ticketslave/ui/vite';
export default defineFrontendConfig('purchase', import.meta.dirname);
