// Test support for gRPC clients: what a stream sends and how it ends, for the ingress's gRPC tests
// and the end-to-end ones.
import type * as grpc from '@grpc/grpc-js';

/** A stream's messages as they come; `done`: null when it ends OK, else the status it fails with. */
export function collect<T>(stream: grpc.ClientReadableStream<T> | grpc.ClientDuplexStream<unknown, T>) {
  const events: T[] = [];
  const done = new Promise<grpc.ServiceError | null>((resolve) => {
    stream.on('data', (e: T) => events.push(e));
    stream.on('end', () => resolve(null));
    stream.on('error', (err: grpc.ServiceError) => resolve(err));
  });
  return { events, done };
}
