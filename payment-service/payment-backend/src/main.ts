import { runMain } from '@ticketslave/common';
import { loadPaymentConfig } from './config';
import { startPaymentService } from './start';

runMain(
  'payment',
  () => loadPaymentConfig(),
  (config) => startPaymentService(config),
);
