import type { Request, Response } from 'express';

/**
 * Sends a serialized body. GET and HEAD go through `res.send` (ETag, 304 to a matching
 * If-None-Match, no body for HEAD); any other method's answer is never revalidated, so it
 * is written directly, without hashing the body for an ETag no client could use. The
 * Content-Type comes out as `res.send` would set it (`; charset=utf-8` on text and JSON).
 */
export function sendBody(
  req: Request,
  res: Response,
  status: number,
  contentType: string,
  body: string | Buffer,
): void {
  res.status(status);
  if (req.method === 'GET' || req.method === 'HEAD') {
    res.type(contentType).send(body);
    return;
  }
  const text = typeof body === 'string';
  res.setHeader(
    'Content-Type',
    text || contentType === 'application/json' ? `${contentType}; charset=utf-8` : contentType,
  );
  res.setHeader('Content-Length', text ? Buffer.byteLength(body) : body.length);
  res.end(body);
}
