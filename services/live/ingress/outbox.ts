// The bounded outbound queue of one session or watcher, on either transport. A peer that reads
// slowly (or not at all) never grows server memory without bound: the transport holds at most its
// own high-water mark (WebSocket: bytes in the socket buffer; gRPC: the stream's writable buffer)
// and at most `maxQueued` messages wait here.
//
// One backpressure policy for every transport: past `maxQueued`, the OLDEST waiting message is
// dropped and counted. What waits is a live call's scores and alerts; a peer that has fallen behind
// wants the newest state, not a backlog, and dropping the newest would lose exactly the messages
// that matter most — the last scores and the call summary, after which a call's stream ends.
// Hand-written: the policy is the point, and the ports are two small adapters (websocket.ts, grpc.ts).

/** The writable side of a transport, as the outbox needs it. */
export interface OutboxPort<T> {
  /** Hands one message to the transport. */
  write(message: T): void;
  /** True while the transport holds as much unsent data as it should (its high-water mark). */
  saturated(): boolean;
  /** Calls `retry` once, when the transport may take more. */
  onWritable(retry: () => void): void;
  /** False once the transport is closing or closed: messages are discarded. */
  isOpen(): boolean;
}

export interface OutboxOptions {
  /** Messages waiting here before the oldest is dropped. */
  maxQueued: number;
  /** Called once per dropped message (a metric). */
  onDrop?: () => void;
}

export class Outbox<T> {
  private readonly queue: T[] = [];
  private waiting = false;
  private flushed: Array<() => void> = [];
  /** Messages dropped so far. */
  dropped = 0;

  constructor(
    private readonly port: OutboxPort<T>,
    private readonly options: OutboxOptions,
  ) {}

  /** Messages waiting for the transport. */
  get queued(): number {
    return this.queue.length;
  }

  send(message: T): void {
    if (!this.port.isOpen()) return;
    this.queue.push(message);
    if (this.queue.length > this.options.maxQueued) {
      this.queue.shift();
      this.dropped++;
      this.options.onDrop?.();
    }
    this.flush();
  }

  /** Calls `then` once every message sent so far has been handed to the transport (or it closed). */
  whenFlushed(then: () => void): void {
    if (this.queue.length === 0 || !this.port.isOpen()) then();
    else this.flushed.push(then);
  }

  private flush(): void {
    if (this.waiting) return;
    while (this.queue.length > 0 && this.port.isOpen()) {
      if (this.port.saturated()) {
        this.waiting = true;
        this.port.onWritable(() => {
          this.waiting = false;
          this.flush();
        });
        return;
      }
      this.port.write(this.queue.shift()!);
    }
    if (this.queue.length === 0 || !this.port.isOpen()) {
      this.queue.length = 0;
      const flushed = this.flushed;
      this.flushed = [];
      for (const then of flushed) then();
    }
  }
}
