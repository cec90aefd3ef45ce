import { Router } from '@ticketslave/ui';

export const router = new Router(import.meta.env.BASE_URL);
