// Bounded outbound queue for one WebSocket. A slow consumer never grows server memory without
// bound: at most `highWaterBytes` sit in the socket's buffer and at most `maxQueued` messages wait
// here; past that the oldest waiting message is dropped and counted (a watcher wants the newest
// scores, not a backlog).
import type { WebSocket } from 'ws';

export class BoundedSender {
  private readonly queue: string[] = [];
  private flushing = false;
  dropped = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly opts: { maxQueued: number; highWaterBytes: number; onDrop?: () => void },
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  send(message: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.queue.push(message);
    if (this.queue.length > this.opts.maxQueued) {
      this.queue.shift();
      this.dropped++;
      this.opts.onDrop?.();
    }
    this.flush();
  }

  private flush(): void {
    if (this.flushing) return;
    while (this.queue.length > 0 && this.ws.readyState === this.ws.OPEN) {
      if (this.ws.bufferedAmount >= this.opts.highWaterBytes) {
        // Retry once the socket has written something out.
        this.flushing = true;
        setTimeout(() => {
          this.flushing = false;
          this.flush();
        }, 20).unref();
        return;
      }
      this.ws.send(this.queue.shift()!);
    }
  }
}
