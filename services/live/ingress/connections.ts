// Open connections of both transports (WebSocket upgrades, gRPC sockets), counted globally and per
// remote address: past either cap a new connection is refused before it costs anything (HTTP 503
// on an upgrade; the socket destroyed on the gRPC port) and counted as a rejection with reason
// `connection-limit`. Behind a proxy every peer shares the proxy's address, and carriers connect
// from few addresses: the per-address cap is a guard against one client, set high by default.

export interface ConnectionCaps {
  maxConnections: number;
  maxConnectionsPerAddress: number;
}

export class ConnectionLimiter {
  private total = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(private readonly caps: ConnectionCaps) {}

  /** Connections open now. */
  get open(): number {
    return this.total;
  }

  /** Opens one connection from `address`: its release (call once, on close), or why it is refused. */
  tryOpen(address: string | undefined): { release: () => void } | { refused: string } {
    const key = address ?? 'unknown';
    const mine = this.byAddress.get(key) ?? 0;
    if (this.total >= this.caps.maxConnections)
      return { refused: `server holds its maximum of ${this.caps.maxConnections} connections` };
    if (mine >= this.caps.maxConnectionsPerAddress)
      return { refused: `address holds its maximum of ${this.caps.maxConnectionsPerAddress} connections` };
    this.total++;
    this.byAddress.set(key, mine + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        const left = (this.byAddress.get(key) ?? 1) - 1;
        if (left > 0) this.byAddress.set(key, left);
        else this.byAddress.delete(key);
      },
    };
  }
}
