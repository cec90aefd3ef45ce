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

/**
 * Streams a body produced piece by piece (an export read through a database cursor): each
 * chunk is written as it comes, waiting for `drain` when the client reads slower, so memory
 * holds one chunk whatever the size. A client that goes away stops the loop (the producer's
 * `finally` runs: a cursor is closed). Headers go out with the first chunk.
 */
export async function sendChunks(
  res: Response,
  headers: Record<string, string>,
  chunks: AsyncIterable<string | Buffer>,
): Promise<void> {
  let gone = false;
  const onClose = () => {
    gone = true;
  };
  res.once('close', onClose);
  try {
    for await (const chunk of chunks) {
      if (!res.headersSent) res.status(200).set(headers);
      if (gone || res.destroyed) break;
      if (!res.write(chunk))
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      if (gone) break;
    }
    if (!res.headersSent) res.status(200).set(headers);
    if (!gone) res.end();
  } finally {
    res.off('close', onClose);
  }
}
