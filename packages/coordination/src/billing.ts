// DynamoDB's on-demand billing rules, as Floe models them. The DynamoDB store uses them only when
// the server does not report consumed capacity; the embedded store always uses them, so cost
// benchmarks give the same figures on both. docs/coordination-store.md lists the rules.

/** A write request unit covers 1 KB of item; a read request unit 4 KB. */
export const WRITE_UNIT_BYTES = 1024;
export const READ_UNIT_BYTES = 4096;
/** A Query stops after the page's items pass 1 MB; each page is billed (and counted) on its own. */
export const QUERY_PAGE_BYTES = 1024 * 1024;

/** Write units of writing (or failing a conditional write on) an item of `size` bytes: at least 1. */
export function writeUnits(size: number): number {
  return Math.max(1, Math.ceil(size / WRITE_UNIT_BYTES));
}

/**
 * Read units of reading `bytes` in one request (a GetItem, or one Query page whose item sizes are
 * summed before rounding): 4 KB units, at least one, half price when eventually consistent.
 */
export function readUnits(bytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES));
  return consistent ? units : units / 2;
}

/** Transactions bill every action twice (prepare and commit). */
export const TRANSACTION_FACTOR = 2;

/**
 * Splits a query result into the pages DynamoDB would return: a page ends at `limit` items or once
 * its items reach 1 MB (the item that crosses 1 MB is in the page). Returns each page's bytes.
 */
export function queryPages(sizes: readonly number[]): number[] {
  if (sizes.length === 0) return [0];
  const pages: number[] = [];
  let bytes = 0;
  let open = false;
  for (const size of sizes) {
    bytes += size;
    open = true;
    if (bytes >= QUERY_PAGE_BYTES) {
      pages.push(bytes);
      bytes = 0;
      open = false;
    }
  }
  if (open) pages.push(bytes);
  return pages;
}
