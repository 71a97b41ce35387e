// Ending a thread that runs a model (scoring and analysis threads). Worker.terminate() stops a
// thread wherever it is, and inside an ONNX Runtime call that aborts the whole process (the binding
// throws a C++ Napi::Error as it returns into a terminating isolate: "terminate called after
// throwing an instance of 'Napi::Error'"). So the pool asks, and the thread ends itself between two
// model calls, after releasing its sessions; terminate() is only the fallback for a thread that
// does not answer.
import type { Worker } from 'node:worker_threads';

/** Asks a model thread to release its model and end. */
export interface CloseRequest {
  t: 'close';
}

export function isCloseRequest(m: unknown): m is CloseRequest {
  return typeof m === 'object' && m !== null && (m as { t?: unknown }).t === 'close';
}

/** How long a thread may take to end once asked (a model still loading finishes first). */
export const CLOSE_GRACE_MS = 15_000;

/**
 * Asks `worker` to end and resolves once it has; terminates it after `graceMs`. A thread still
 * loading its model reads the request once loaded.
 */
export function closeThread(worker: Worker, graceMs = CLOSE_GRACE_MS): Promise<void> {
  // Node sets threadId to -1 once the thread has exited.
  if (worker.threadId < 0) return Promise.resolve();
  return new Promise((resolve) => {
    const fallback = setTimeout(() => void worker.terminate(), graceMs);
    worker.once('exit', () => {
      clearTimeout(fallback);
      resolve();
    });
    worker.postMessage({ t: 'close' } satisfies CloseRequest);
  });
}

/**
 * In the thread, on a CloseRequest: releases the model (no model call runs while this handler
 * does, so none is cut) and ends the thread; a run queued after it fails in JavaScript, not native code.
 */
export async function endThread(release: () => Promise<void>): Promise<never> {
  try {
    await release();
  } finally {
    process.exit(0);
  }
}
