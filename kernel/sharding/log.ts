/**
 * @file The sharding debug log: what the partitioner decided that costs time (a primitive
 * without a sharding rule computed on one device from gathered inputs). Kept in memory for
 * tests, printed to stderr when JAXNB_LOG_SHARDING is set, and forwarded to listeners (the
 * Python front end sends it to `logging.getLogger("jax._src.sharding")` at DEBUG level).
 */

const entries: string[] = [];
const listeners = new Set<(msg: string) => void>();

export function logSharding(msg: string): void {
  entries.push(msg);
  if (entries.length > 1000) entries.splice(0, entries.length - 1000);
  if (process.env.JAXNB_LOG_SHARDING) process.stderr.write(`jaxnb sharding: ${msg}\n`);
  for (const l of listeners) l(msg);
}

/** The messages logged so far (the last 1000). */
export const shardingLog = (): readonly string[] => entries;

/** Calls `fn` with every later message; returns a function that stops it. */
export function onShardingLog(fn: (msg: string) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
