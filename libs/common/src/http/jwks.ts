import type { Express } from 'express';
import type { PublicJwkSet } from '../tokens/keys';

/** Publishes a service's public signing keys at `/<svc>/.well-known/jwks.json`. */
export function mountJwks(app: Express, service: string, jwks: PublicJwkSet): void {
  app.get(`/${service}/.well-known/jwks.json`, (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(jwks);
  });
}
