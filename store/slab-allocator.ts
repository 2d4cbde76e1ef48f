/*
 * Slab allocator: where key and value bytes live.
 *
 * What: memcached-style. Memory comes in pages (config pageSize, a power of two, default 1 MiB)
 * that are carved into the chunks of one size class each. Class sizes start at 16 bytes and grow
 * by the growth factor (default 1.25), rounded up to multiples of 8, up to pageSize/2. Each
 * class has a free stack of chunk locations in a Uint32Array (LIFO: the most recently freed,
 * cache-warm chunk is reused first) and a page it is carving lazily. A request larger than the
 * largest class gets a page of its own, sized to the request ("large" page). A chunk is named by
 * a 32-bit location: pageId * 2^locShift + byteOffset/8 (chunks are 8-aligned).
 *
 * Out of memory: alloc() returns -1 when a new page cannot be had (ArrayBuffer allocation
 * failed, page ids exhausted, or the optional hard ceiling limitBytes reached); callers treat it
 * as Status.OOM and must leave their data as it was.
 *
 * Chunk layout: [int32 owner | caller bytes...]. The owner (the keyspace's entry handle) is
 * written by alloc() and set to -1 by free(); it is what lets page reassignment find and update
 * the entry whose chunk it moves.
 *
 * Page reassignment (memcached's slab automove): rebalanceStep() looks for a class whose free
 * chunks add up to 1.5 pages or more, relocates the live chunks of its emptiest page into free
 * chunks of the same class (telling the owner its new location through onMove), and returns the
 * page to a pool every class draws from; pages beyond a small pool are dropped for the GC. A
 * workload that moves from 64-byte to 4 KB values therefore ends up bounded by live data, not by
 * the history of sizes.
 *
 * Invariants: a location is handed out at most once until freed; every chunk of a page that is
 * not the class's carving page is either live (owner >= 0) or on the class free stack
 * (owner -1); pageLive[p] counts the live chunks of page p; usedBytes is the sum of class sizes
 * of live chunks plus large pages; allocatedBytes is every page held, pool included.
 *
 * Cost: alloc/free O(1) amortized, no allocation except when a new page is needed. A rebalance
 * step copies at most one page and filters one free stack: bounded, and it runs from
 * maintenance only. Memory overhead: 4 bytes per chunk header, 4 bytes per free chunk, class
 * rounding (at most growthFactor - 1, about 10% on average at 1.25) and each page's tail.
 *
 * Why one allocator for all shards: pages are the unit of ownership and every size class in use
 * needs at least one; per-shard allocators would pin shards x classes pages (64 x 30 MiB) before
 * the first real byte. The shards share this one single-threaded allocator; moving shards to
 * other threads later would give each thread its own allocator, not each shard.
 */

export const CHUNK_HEADER = 4;
/** pageClass values besides class indexes. */
export const PAGE_POOL = -1;
export const PAGE_LARGE = -2;
export const PAGE_UNUSED = -3;

const POOL_KEEP = 4;
const EMPTY8 = new Uint8Array(0);
const EMPTY32 = new Int32Array(0);

function noMove(owner: number, loc: number): void {
  void owner;
  void loc;
}

export class SlabAllocator {
  readonly pageSize: number;
  /** Bits of the in-page part of a location (log2(pageSize) - 3). */
  readonly locShift: number;
  readonly offMask: number;
  readonly maxPages: number;
  readonly classSize: Int32Array;
  readonly classCount: number;
  readonly maxChunk: number;
  private readonly classIndex: Uint16Array;
  private readonly locScale: number;

  /** Page bytes by page id (an empty array for an unused id). */
  pages: Uint8Array[] = [];
  /** The same pages as Int32Array views (chunk headers). */
  pages32: Int32Array[] = [];
  pageClass = new Int32Array(16);
  pageLive = new Int32Array(16);
  private unusedIds: number[] = [];
  private pool: number[] = [];

  private freeStack: Uint32Array[] = [];
  private freeTop: Int32Array;
  private carvePage: Int32Array;
  private carveNext: Int32Array;
  private classLive: Float64Array;
  private classPages: Int32Array;
  private rebalanceCursor = 0;

  usedBytes = 0;
  allocatedBytes = 0;
  /**
   * Hard ceiling on allocatedBytes (0 = none): a new page that would pass it is refused, as a
   * failed ArrayBuffer allocation is. It makes the store's out-of-memory paths reachable on
   * purpose (tests, an embedder's hard cap); maxmemory and eviction work above it.
   */
  limitBytes = 0;
  /** Called for every chunk a rebalance moves: its owner and its new location. */
  onMove: (owner: number, newLoc: number) => void = noMove;

  constructor(pageSize: number, growthFactor: number) {
    let ps = 4096;
    while (ps < pageSize && ps < 1 << 30) ps *= 2;
    this.pageSize = ps;
    this.locShift = Math.log2(ps) - 3;
    this.offMask = (1 << this.locShift) - 1;
    this.locScale = 2 ** this.locShift;
    this.maxPages = 2 ** (32 - this.locShift);
    this.maxChunk = ps / 2;
    const f = growthFactor > 1.01 ? growthFactor : 1.01;
    const sizes: number[] = [];
    for (let s = 16; s < this.maxChunk && sizes.length < 1000; ) {
      sizes.push(s);
      s = Math.max(s + 8, Math.ceil((s * f) / 8) * 8);
    }
    sizes.push(this.maxChunk);
    this.classCount = sizes.length;
    this.classSize = Int32Array.from(sizes);
    this.classIndex = new Uint16Array((this.maxChunk >>> 3) + 1);
    let c = 0;
    for (let q = 0; q < this.classIndex.length; q++) {
      while (sizes[c] < q * 8) c++;
      this.classIndex[q] = c;
    }
    const n = this.classCount;
    for (let i = 0; i < n; i++) this.freeStack.push(new Uint32Array(16));
    this.freeTop = new Int32Array(n);
    this.carvePage = new Int32Array(n).fill(-1);
    this.carveNext = new Int32Array(n);
    this.classLive = new Float64Array(n);
    this.classPages = new Int32Array(n);
  }

  /** Size class for a request of `need` bytes (need <= maxChunk). */
  classFor(need: number): number {
    return this.classIndex[(need + 7) >>> 3];
  }

  /** Bytes a chunk occupies (its class size, or its large page's length). */
  chunkSize(loc: number): number {
    const pid = loc >>> this.locShift;
    const c = this.pageClass[pid];
    return c >= 0 ? this.classSize[c] : this.pages[pid].length;
  }

  /** True when a chunk at loc can hold `need` bytes without moving to another class. */
  fits(loc: number, need: number): boolean {
    const pid = loc >>> this.locShift;
    const c = this.pageClass[pid];
    if (c >= 0) return need <= this.maxChunk && this.classIndex[(need + 7) >>> 3] === c;
    const cap = this.pages[pid].length;
    return need <= cap && need > this.maxChunk && need * 2 > cap;
  }

  /** Byte offset of a chunk inside its page. */
  offsetOf(loc: number): number {
    return (loc & this.offMask) << 3;
  }

  pageOf(loc: number): Uint8Array {
    return this.pages[loc >>> this.locShift];
  }

  /** Owner recorded in a chunk's header (-1 when free). */
  ownerOf(loc: number): number {
    return this.pages32[loc >>> this.locShift][(loc & this.offMask) << 1];
  }

  setOwner(loc: number, owner: number): void {
    this.pages32[loc >>> this.locShift][(loc & this.offMask) << 1] = owner;
  }

  /** A chunk of at least `need` bytes (header included) owned by `owner`; -1 when memory cannot be had. */
  alloc(need: number, owner: number): number {
    if (need > this.maxChunk) return this.allocLarge(need, owner);
    const c = this.classIndex[(need + 7) >>> 3];
    const loc = this.popFree(c);
    if (loc < 0) return -1;
    const pid = loc >>> this.locShift;
    this.pageLive[pid]++;
    this.classLive[c]++;
    this.usedBytes += this.classSize[c];
    this.pages32[pid][(loc & this.offMask) << 1] = owner;
    return loc;
  }

  free(loc: number): void {
    const pid = loc >>> this.locShift;
    const c = this.pageClass[pid];
    if (c === PAGE_LARGE) {
      this.usedBytes -= this.pages[pid].length;
      this.releasePage(pid);
      return;
    }
    this.pages32[pid][(loc & this.offMask) << 1] = -1;
    this.pageLive[pid]--;
    this.classLive[c]--;
    this.usedBytes -= this.classSize[c];
    let st = this.freeStack[c];
    const top = this.freeTop[c];
    if (top === st.length) {
      const bigger = new Uint32Array(st.length * 2);
      bigger.set(st);
      this.freeStack[c] = st = bigger;
    }
    st[top] = loc;
    this.freeTop[c] = top + 1;
  }

  private popFree(c: number): number {
    const top = this.freeTop[c];
    if (top > 0) {
      this.freeTop[c] = top - 1;
      return this.freeStack[c][top - 1];
    }
    let pid = this.carvePage[c];
    if (pid < 0) {
      pid = this.takePage(c);
      if (pid < 0) return -1;
    }
    const size = this.classSize[c];
    const k = this.carveNext[c]++;
    if ((k + 2) * size > this.pageSize) this.carvePage[c] = -1;
    return pid * this.locScale + ((k * size) >>> 3);
  }

  private takePage(c: number): number {
    let pid: number;
    if (this.pool.length > 0) {
      pid = this.pool.pop()!;
    } else {
      if (this.limitBytes > 0 && this.allocatedBytes + this.pageSize > this.limitBytes) return -1;
      pid = this.newPageId();
      if (pid < 0) return -1;
      let page: Uint8Array;
      try {
        page = new Uint8Array(this.pageSize);
      } catch {
        this.unusedIds.push(pid);
        return -1;
      }
      this.pages[pid] = page;
      this.pages32[pid] = new Int32Array(page.buffer);
      this.allocatedBytes += this.pageSize;
    }
    this.pageClass[pid] = c;
    this.pageLive[pid] = 0;
    this.carvePage[c] = pid;
    this.carveNext[c] = 0;
    this.classPages[c]++;
    return pid;
  }

  private allocLarge(need: number, owner: number): number {
    const size = Math.ceil(need / 8) * 8;
    if (this.limitBytes > 0 && this.allocatedBytes + size > this.limitBytes) return -1;
    const pid = this.newPageId();
    if (pid < 0) return -1;
    let page: Uint8Array;
    try {
      page = new Uint8Array(size);
    } catch {
      this.unusedIds.push(pid);
      return -1;
    }
    this.pages[pid] = page;
    this.pages32[pid] = new Int32Array(page.buffer);
    this.pageClass[pid] = PAGE_LARGE;
    this.pageLive[pid] = 1;
    this.usedBytes += size;
    this.allocatedBytes += size;
    this.pages32[pid][0] = owner;
    return pid * this.locScale;
  }

  private newPageId(): number {
    if (this.unusedIds.length > 0) return this.unusedIds.pop()!;
    const pid = this.pages.length;
    if (pid >= this.maxPages) return -1;
    if (pid === this.pageClass.length) {
      const pc = new Int32Array(pid * 2);
      pc.set(this.pageClass);
      this.pageClass = pc;
      const pl = new Int32Array(pid * 2);
      pl.set(this.pageLive);
      this.pageLive = pl;
    }
    this.pages.push(EMPTY8);
    this.pages32.push(EMPTY32);
    this.pageClass[pid] = PAGE_UNUSED;
    return pid;
  }

  private releasePage(pid: number): void {
    this.allocatedBytes -= this.pages[pid].length;
    this.pages[pid] = EMPTY8;
    this.pages32[pid] = EMPTY32;
    this.pageClass[pid] = PAGE_UNUSED;
    this.pageLive[pid] = 0;
    this.unusedIds.push(pid);
  }

  private toPool(pid: number): void {
    if (this.pool.length < POOL_KEEP) {
      this.pageClass[pid] = PAGE_POOL;
      this.pageLive[pid] = 0;
      this.pool.push(pid);
    } else {
      this.releasePage(pid);
    }
  }

  /** Free chunks of class c, counting the uncarved rest of its carving page. */
  freeChunks(c: number): number {
    const cpp = Math.floor(this.pageSize / this.classSize[c]);
    return this.freeTop[c] + (this.carvePage[c] >= 0 ? cpp - this.carveNext[c] : 0);
  }

  /**
   * One page reassignment if some class holds 1.5 pages or more of free chunks: evacuate its
   * emptiest page into its other free chunks and hand the page to the shared pool. Returns true
   * when a page was reassigned.
   */
  rebalanceStep(): boolean {
    const n = this.classCount;
    for (let i = 0; i < n; i++) {
      const c = (this.rebalanceCursor + i) % n;
      if (this.classPages[c] < 2) continue;
      const cpp = Math.floor(this.pageSize / this.classSize[c]);
      if (this.freeChunks(c) < cpp + (cpp >>> 1)) continue;
      let victim = -1;
      let best = 0x7fffffff;
      const carve = this.carvePage[c];
      for (let p = 0; p < this.pages.length; p++) {
        if (this.pageClass[p] === c && p !== carve && this.pageLive[p] < best) {
          best = this.pageLive[p];
          victim = p;
        }
      }
      if (victim < 0) continue;
      this.evacuate(c, victim);
      this.rebalanceCursor = (c + 1) % n;
      return true;
    }
    return false;
  }

  private evacuate(c: number, victim: number): void {
    const st = this.freeStack[c];
    const top = this.freeTop[c];
    const shift = this.locShift;
    let w = 0;
    for (let r = 0; r < top; r++) {
      const loc = st[r];
      if (loc >>> shift !== victim) st[w++] = loc;
    }
    this.freeTop[c] = w;
    const size = this.classSize[c];
    const cpp = Math.floor(this.pageSize / size);
    const src = this.pages[victim];
    const src32 = this.pages32[victim];
    for (let k = 0; k < cpp; k++) {
      const off = k * size;
      const owner = src32[off >>> 2];
      if (owner === -1) continue;
      const loc = this.popFree(c);
      const pid = loc >>> shift;
      const doff = (loc & this.offMask) << 3;
      this.pages[pid].set(src.subarray(off, off + size), doff);
      this.pageLive[pid]++;
      this.onMove(owner, loc);
    }
    this.classPages[c]--;
    this.toPool(victim);
  }

  /** Drop every page (FLUSHALL). */
  reset(): void {
    this.pages = [];
    this.pages32 = [];
    this.pageClass = new Int32Array(16);
    this.pageLive = new Int32Array(16);
    this.unusedIds = [];
    this.pool = [];
    for (let c = 0; c < this.classCount; c++) {
      this.freeStack[c] = new Uint32Array(16);
      this.freeTop[c] = 0;
      this.carvePage[c] = -1;
      this.carveNext[c] = 0;
      this.classLive[c] = 0;
      this.classPages[c] = 0;
    }
    this.usedBytes = 0;
    this.allocatedBytes = 0;
  }

  /** Pages currently assigned to class c (tests, INFO). */
  pagesOfClass(c: number): number {
    return this.classPages[c];
  }

  liveChunks(c: number): number {
    return this.classLive[c];
  }

  /** Bookkeeping held outside the pages (free stacks, page tables). */
  overheadBytes(): number {
    let b = this.pageClass.byteLength * 2 + this.classIndex.byteLength;
    for (let c = 0; c < this.classCount; c++) b += this.freeStack[c].byteLength;
    return b;
  }
}
