/**
 * Each service's OpenAPI document, built from its route declarations alone: the same
 * `<svc>Api` function start.ts serves, given `unwired` dependencies, so nothing connects,
 * listens or starts. The typed API clients are generated from these documents.
 */
import path from 'node:path';
import { openApiDocument, unwired } from '@ticketslave/common';
import { bufferApi } from '../../buffer-service/buffer-backend/src/http/api';
import { feedApi } from '../../feed-service/feed-backend/src/http/api';
import { paymentApi } from '../../payment-service/payment-backend/src/http/api';
import { purchaseApi } from '../../purchase-service/purchase-backend/src/http/api';
import { queueApi } from '../../queue-service/queue-backend/src/http/api';

export const SERVICES = ['feed', 'buffer', 'queue', 'purchase', 'payment'] as const;
export type Service = (typeof SERVICES)[number];

export type OpenApiDocument = ReturnType<typeof openApiDocument>;

const apis = {
  feed: () => feedApi(unwired()),
  buffer: () => bufferApi(unwired()),
  queue: () => queueApi(unwired()),
  purchase: () => purchaseApi(unwired()),
  payment: () => paymentApi(unwired()),
} satisfies Record<Service, () => unknown>;

/** The document `GET /<service>/api/openapi.json` serves. */
export function openApiDocumentOf(service: Service): OpenApiDocument {
  return openApiDocument(service, apis[service]());
}

/**
 * Where an API's generated types live: once, in the isomorphic contracts package, so every
 * frontend (and libs/ui) imports the same file (`@ticketslave/contracts/api/<service>`).
 */
export const clientPath = (root: string, api: Service) =>
  path.join(root, 'libs', 'contracts', 'src', 'api', `${api}.d.ts`);
