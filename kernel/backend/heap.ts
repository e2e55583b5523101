/**
 * @file The CPU heap: one shared WebAssembly.Memory per process that holds the CPU devices' large
 * buffers, so the WebAssembly SIMD kernels read and write them in place (no copies of each block
 * into a kernel's own memory and back: ~5 ms of the post's 25 ms jitted function on 10⁷
 * elements). Buffers smaller than HEAP_MIN_BYTES stay ordinary SharedArrayBuffers (their copies
 * stay in cache and cost little), and so does anything that does not fit.
 *
 * Only the thread that made the heap allocates from it (the kernel's thread: every backend's
 * `alloc` runs there, also for devices whose kernels run on worker threads); the device threads
 * attach the same memory (`attachHeap`) to run kernels on it. The memory grows on demand up to
 * its maximum (JAXNB_CPU_HEAP_MB, default 1024) and never shrinks: freed ranges are reused (no
 * fresh pages to fault in, which costs ~20 µs per 4 KiB page on some virtual machines), so the
 * heap's high-water mark stays resident, as the old per-size pools of freed buffers did.
 */

/** Buffers at least this large live in the heap. */
export const HEAP_MIN_BYTES = 16384;
/** Allocation granularity: a cache line, and the f32x4 loads' alignment. */
const ALIGN = 64;
/**
 * Bytes past each allocation's end that belong to it: a kernel's last vectors may run past an
 * array's end (loops run in whole iterations of up to 24 elements), and those lanes read and
 * write only this slack.
 */
export const HEAP_SLACK = 128;
const PAGE = 65536;
/** The most pages a WebAssembly memory can have (4 GiB); kernels declare it as their import's maximum. */
export const MAX_PAGES = 65536;

/** A range of the heap: byte offset and length (including slack). */
interface Range {
  start: number;
  size: number;
}

export class CpuHeap {
  /** Free ranges below `top`, sorted by start, never adjacent (neighbours are merged). */
  private free: Range[] = [];
  /** Live allocations: start → reserved size. */
  private readonly live = new Map<number, number>();
  /** Everything at or above `top` is unused. */
  private top = ALIGN;
  readonly maxBytes: number;

  constructor(readonly memory: WebAssembly.Memory, readonly canAllocate: boolean, maxBytes = heapLimitBytes()) {
    this.maxBytes = Math.min(maxBytes, MAX_PAGES * PAGE);
  }

  /** The memory's current SharedArrayBuffer (a new object after each growth; older ones stay valid). */
  get buffer(): SharedArrayBuffer {
    return this.memory.buffer as unknown as SharedArrayBuffer;
  }

  /** The byte offset of a fresh range of at least `bytes` (plus slack), or null when the heap is full. */
  alloc(bytes: number): number | null {
    if (!this.canAllocate) return null;
    const size = Math.ceil((bytes + HEAP_SLACK) / ALIGN) * ALIGN;
    let start = this.fit(size);
    if (start === null) {
      // A free range touching `top` is never kept (free() lowers `top` instead), so extend at the top.
      start = this.top;
      const end = start + size;
      if (end > this.maxBytes) return null;
      const have = this.memory.buffer.byteLength;
      if (end > have) {
        // Grow by at least a quarter of the current size, so a sequence of allocations grows rarely.
        const want = Math.min(Math.max(end, have + (have >> 2)), this.maxBytes);
        try {
          this.memory.grow(Math.ceil((want - have) / PAGE));
        } catch {
          return null;
        }
      }
      this.top = end;
    }
    this.live.set(start, size);
    return start;
  }

  /** Best fit among the free ranges (an exact fit is the common case: arrays of equal shapes), taken. */
  private fit(size: number): number | null {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const r = this.free[i];
      if (r.size >= size && (best < 0 || r.size < this.free[best].size)) {
        best = i;
        if (r.size === size) break;
      }
    }
    if (best < 0) return null;
    const r = this.free[best];
    const start = r.start;
    if (r.size === size) this.free.splice(best, 1);
    else {
      r.start += size;
      r.size -= size;
    }
    return start;
  }

  /** Returns a range to the heap (an unknown or already freed start is ignored). */
  release(start: number): void {
    const size = this.live.get(start);
    if (size === undefined) return;
    this.live.delete(start);
    let r: Range = { start, size };
    // Insert sorted, merging with the neighbours.
    let lo = 0, hi = this.free.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.free[mid].start < start) lo = mid + 1;
      else hi = mid;
    }
    const prev = this.free[lo - 1], next = this.free[lo];
    if (prev && prev.start + prev.size === r.start) {
      prev.size += r.size;
      r = prev;
      lo--;
    } else this.free.splice(lo, 0, r);
    if (next && r.start + r.size === next.start) {
      r.size += next.size;
      this.free.splice(lo + 1, 1);
    }
    if (r.start + r.size === this.top) {
      this.top = r.start;
      this.free.splice(lo, 1);
    }
  }

  /** Whether `start` begins a live allocation. */
  isLive(start: number): boolean {
    return this.live.has(start);
  }

  /** Bytes in live allocations and the high-water mark (for tests and diagnostics). */
  stats(): { liveBytes: number; liveCount: number; top: number; freeRanges: number } {
    let liveBytes = 0;
    for (const s of this.live.values()) liveBytes += s;
    return { liveBytes, liveCount: this.live.size, top: this.top, freeRanges: this.free.length };
  }
}

function heapLimitBytes(): number {
  const mb = Number(process.env.JAXNB_CPU_HEAP_MB ?? 1024);
  return Number.isFinite(mb) && mb >= 0 ? Math.floor(mb) * 1024 * 1024 : 1024 * 1024 * 1024;
}

let heap: CpuHeap | null = null;
/** This thread's scratch range in the heap (see heapScratch). */
let scratch: HeapRange | null = null;

/** A range of the heap (byte offset and length). */
export interface HeapRange {
  readonly addr: number;
  readonly bytes: number;
}
/**
 * A thread's scratch range: kernels copy their small inputs (those outside the heap, below
 * HEAP_MIN_BYTES each) into it to run in place on the large ones.
 */
export const SCRATCH_BYTES = 256 * 1024;

/** This thread's heap: made on first use by the allocating thread; a device thread's attached one. */
export function cpuHeap(): CpuHeap {
  if (!heap) {
    const limit = Math.min(heapLimitBytes(), MAX_PAGES * PAGE);
    try {
      // The maximum is reserved as address space up front: only the limit, not 4 GiB.
      heap = new CpuHeap(new WebAssembly.Memory({ initial: 1, maximum: Math.max(1, Math.ceil(limit / PAGE)), shared: true }), true, limit);
    } catch {
      // No room to reserve it (a limit on address space): every buffer gets its own, as before the heap.
      heap = new CpuHeap(new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }), false, 0);
    }
  }
  return heap;
}

/**
 * On a device thread: run kernels on the allocating thread's heap (this thread never allocates
 * from it), with the scratch range that thread set aside for this one (null: none).
 */
export function attachHeap(memory: WebAssembly.Memory, range: HeapRange | null): void {
  heap = new CpuHeap(memory, false);
  scratch = range;
}

/** This thread's scratch range (set aside on first use on the allocating thread), or null. */
export function heapScratch(): HeapRange | null {
  if (!scratch) {
    const h = cpuHeap();
    const addr = h.canAllocate ? h.alloc(SCRATCH_BYTES) : null;
    if (addr !== null) scratch = { addr, bytes: SCRATCH_BYTES };
  }
  return scratch;
}
