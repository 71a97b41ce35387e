// Which partition a call's events land in. Both bus implementations key by call id so one call's
// events stay ordered in one partition; the in-process bus uses this hash, Kafka its own murmur2.

/** FNV-1a over the UTF-16 code units: cheap, stable across runs, spreads call ids evenly. */
export function partitionFor(callId: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < callId.length; i++) {
    hash ^= callId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}
