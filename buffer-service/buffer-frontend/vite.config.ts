import { defineFrontendConfig } from '@ticketslave/ui/vite';
export default defineFrontendConfig('buffer', import.meta.dirname);
