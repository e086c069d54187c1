import { type Readable, Transform } from 'node:stream'

/** Set once a counted body has gone past its limit: the forward failed because of the client, a 413. */
export interface Overflow {
  exceeded: boolean
}

class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError'
}

/**
 * A body without Content-Length (chunked), counted as it streams to the upstream: past `limit` bytes the stream
 * fails, which aborts the forward, and `overflow.exceeded` says why. (A declared Content-Length over the limit is
 * refused before anything is sent.)
 */
export function limitedBody(body: Readable, limit: number, overflow: Overflow): Readable {
  let seen = 0
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length
      if (seen <= limit) return callback(null, chunk)
      overflow.exceeded = true
      callback(new BodyTooLargeError(`body over ${limit} bytes`))
    },
  })
  body.once('error', (error) => counter.destroy(error))
  return body.pipe(counter)
}
