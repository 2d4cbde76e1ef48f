/*
 * Slab allocator: where key and value bytes live.
 *
 * What: memcached-style. Memory comes in pages (config pageSize, a power of two, default 1 MiB)
 * that are carved into the chunks of one size class each. Class sizes start at 16 bytes and grow
 * by the growth factor (default 1.25), rounded up to multiples of 8, up to pageSize/2. Each
 * class carves one page lazily and keeps its freed chunks per page: every page has an intrusive
 * free list threaded through the header words of its free chunks, and a free count,
 * and the class links its pages that have free chunks into a doubly-linked page list, most
 * recently freed-into page first. alloc() pops the head page's most recently freed chunk, so
 * the chunk just freed is the next one reused (LIFO: cache-warm), and then the class carves. A
 * request larger than the largest class gets a page of its own, sized to the request ("large"
 * page). A chunk is named by a 32-bit location: pageId * 2^locShift + byteOffset/8 (chunks are
 * 8-aligned); its in-page part (location & offMask) is what the free lists link.
 *
 * Out of memory: alloc() returns -1 when a new page cannot be had (ArrayBuffer allocation
 * failed, page ids exhausted, or the optional hard ceiling limitBytes reached); callers treat it
 * as Status.OOM and must leave their data as it was.
 *
 * Chunk layout: [int32 header | caller bytes...]. A live chunk's header is its owner (the
 * keyspace's entry handle, >= 0), written by alloc(); it is what lets page reassignment find and
 * update the entry whose chunk it moves. A free chunk's header is negative and is its page's
 * free-list link: -2 - (in-page part of the next free chunk of the page), so -1 at the end of the
 * list. free() writes that header word and nothing else: a freed chunk's caller bytes stay as
 * they were until the chunk is handed out again (APPEND of a value's own bytes copies from the
 * chunk it has just freed).
 *
 * Page reassignment (memcached's slab automove): rebalanceStep() looks for a class whose free
 * chunks add up to 1.5 pages or more, takes its emptiest page off the class's page list (so no
 * chunk of it is handed out again), relocates that page's live chunks into free chunks of the
 * same class (telling the owner its new location through onMove), and returns the page to a pool
 * every class draws from; pages beyond a small pool are dropped for the GC. It works to a
 * deadline: it reads the clock every few hundred chunks moved and, when the deadline passes,
 * stops and resumes the same page on the next call. Between calls the half-evacuated page stays
 * a normal page except that nothing is allocated from it: its chunks can still be freed, and a
 * chunk moved out of it goes onto its free list. If by the time it resumes the class's other
 * free chunks can no longer hold the page's live chunks (allocations took them), the page is put
 * back on the class's list instead. A workload that moves from 64-byte to 4 KB values therefore
 * ends up bounded by live data, not by the history of sizes.
 *
 * Invariants: a location is handed out at most once until freed. Every chunk of a class page,
 * except the uncarved rest of the class's carving page, is either live (header >= 0) or on its
 * page's free list (header < 0); pageFree[p] is the length of that list and pageLive[p] the live
 * chunks, so pageLive[p] + pageFree[p] is the chunks carved from p. Class c's page list holds
 * exactly the pages of c with pageFree > 0, except the page being evacuated; classFree[c] is
 * the sum of pageFree over c's pages, that one included. usedBytes is the sum of class sizes of
 * live chunks plus large pages; allocatedBytes is every page held, pool included.
 *
 * Cost: alloc/free O(1) with no allocation except when a new page is needed (a free moves its
 * page to the head of the class's page list: a few array writes). A rebalance step costs the
 * victim page alone: choosing it walks the class's page list (at most the class's pages), and
 * evacuating it reads its chunk headers and copies its live chunks (at most one page), never the
 * class's free chunks; a call stops near its deadline. It runs from maintenance only. Memory
 * overhead: 4 bytes per chunk header, 24 bytes per page id (six Int32Array tables), class
 * rounding (at most growthFactor - 1, about 10% on average at 1.25) and each page's tail.
 *
 * Why one allocator for all shards: pages are the unit of ownership and every size class in use
 * needs at least one; per-shard allocators would pin shards x classes pages (64 x 30 MiB) before
 * the first real byte. The shards share this one single-threaded allocator; moving shards to
 * other threads later would give each thread its own allocator, not each shard.
 */
import { performance } from 'node:perf_hooks';
import { copyBytes } from './bytes.ts';

export const CHUNK_HEADER = 4;
/** pageClass values besides class indexes. */
export const PAGE_POOL = -1;
export const PAGE_LARGE = -2;
export const PAGE_UNUSED = -3;

const POOL_KEEP = 4;
const EMPTY8 = new Uint8Array(0);
const EMPTY32 = new Int32Array(0);
/**
 * Evacuation work between two clock reads: a chunk header read counts 1, a chunk moved 16 plus
 * one per 64 bytes copied, so a slice past its deadline overruns it by some 10-50 µs.
 */
const WORK_PER_CLOCK_READ = 4096;
/** Chunks up to this many 32-bit words are copied word by word, larger ones with set(). */
const COPY_WORDS_INLINE = 64;

function noMove(owner: number, loc: number): void {
  void owner;
  void loc;
}

function grown(a: Int32Array, length: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(length);
  b.set(a);
  return b;
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
  /** The same pages as Int32Array views (chunk headers, free-list links). */
  pages32: Int32Array[] = [];
  pageClass = new Int32Array(16);
  pageLive = new Int32Array(16);
  /** Chunks on page p's free list. */
  private pageFree = new Int32Array(16);
  /** In-page part of the location of page p's most recently freed chunk, -1 when none. */
  private pageFreeHead = new Int32Array(16);
  /** Links of the class page lists (page ids, -1 at the ends). */
  private pageNext = new Int32Array(16);
  private pagePrev = new Int32Array(16);
  private unusedIds: number[] = [];
  private pool: number[] = [];

  /** First page of class c's list of pages with free chunks, -1 when none. */
  private classHead: Int32Array;
  private classFree: Float64Array;
  private carvePage: Int32Array;
  private carveNext: Int32Array;
  private classLive: Float64Array;
  private classPages: Int32Array;
  private rebalanceCursor = 0;
  /** The page being evacuated (-1 when none), its class, and the next chunk index to examine. */
  private evacPage = -1;
  private evacClass = 0;
  private evacNext = 0;

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
    this.classHead = new Int32Array(n).fill(-1);
    this.classFree = new Float64Array(n);
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
    const header = this.pages32[loc >>> this.locShift][(loc & this.offMask) << 1];
    return header < 0 ? -1 : header;
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
    this.pageLive[pid]--;
    this.classLive[c]--;
    this.usedBytes -= this.classSize[c];
    this.pushFree(c, pid, loc & this.offMask);
    if (pid !== this.evacPage && this.classHead[c] !== pid) {
      if (this.pageFree[pid] > 1) this.unlinkPage(c, pid);
      this.linkPage(c, pid);
    }
  }

  /** Puts chunk k (in-page part of its location) of page pid on the page's free list. */
  private pushFree(c: number, pid: number, k: number): void {
    this.pages32[pid][k << 1] = -2 - this.pageFreeHead[pid];
    this.pageFreeHead[pid] = k;
    this.pageFree[pid]++;
    this.classFree[c]++;
  }

  private popFree(c: number): number {
    const head = this.classHead[c];
    if (head >= 0) {
      const k = this.pageFreeHead[head];
      this.pageFreeHead[head] = -2 - this.pages32[head][k << 1];
      this.classFree[c]--;
      if (--this.pageFree[head] === 0) this.unlinkPage(c, head);
      return head * this.locScale + k;
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

  /** Puts page pid first on class c's page list. */
  private linkPage(c: number, pid: number): void {
    const h = this.classHead[c];
    this.pageNext[pid] = h;
    this.pagePrev[pid] = -1;
    if (h >= 0) this.pagePrev[h] = pid;
    this.classHead[c] = pid;
  }

  private unlinkPage(c: number, pid: number): void {
    const prev = this.pagePrev[pid];
    const next = this.pageNext[pid];
    if (prev >= 0) this.pageNext[prev] = next;
    else this.classHead[c] = next;
    if (next >= 0) this.pagePrev[next] = prev;
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
    this.pageFree[pid] = 0;
    this.pageFreeHead[pid] = -1;
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
      const n = pid * 2;
      this.pageClass = grown(this.pageClass, n);
      this.pageLive = grown(this.pageLive, n);
      this.pageFree = grown(this.pageFree, n);
      this.pageFreeHead = grown(this.pageFreeHead, n);
      this.pageNext = grown(this.pageNext, n);
      this.pagePrev = grown(this.pagePrev, n);
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
    return this.classFree[c] + (this.carvePage[c] >= 0 ? cpp - this.carveNext[c] : 0);
  }

  /** Chunks on page pid's free list (tests). */
  freeChunksOfPage(pid: number): number {
    return this.pageFree[pid];
  }

  /** The page being evacuated, -1 when none (tests). */
  evacuatingPage(): number {
    return this.evacPage;
  }

  /**
   * Page reassignment until `deadline` (a performance.now() time; none by default): resumes the
   * page being evacuated, or picks one if some class holds 1.5 pages or more of free chunks
   * (its emptiest page), and evacuates it into the class's other free chunks, handing the page
   * to the shared pool. One page at most per call; a call that reaches the deadline stops within
   * a few hundred chunks and the next call carries on. Returns false when there was nothing to do.
   */
  rebalanceStep(deadline = Infinity): boolean {
    if (this.evacPage < 0 && !this.pickVictim()) return false;
    this.evacuate(deadline);
    return true;
  }

  private pickVictim(): boolean {
    const n = this.classCount;
    for (let i = 0; i < n; i++) {
      const c = (this.rebalanceCursor + i) % n;
      if (this.classPages[c] < 2) continue;
      const cpp = Math.floor(this.pageSize / this.classSize[c]);
      if (this.freeChunks(c) < cpp + (cpp >>> 1)) continue;
      let victim = -1;
      let best = 0x7fffffff;
      const carve = this.carvePage[c];
      for (let p = this.classHead[c]; p >= 0; p = this.pageNext[p]) {
        if (p !== carve && this.pageLive[p] < best) {
          best = this.pageLive[p];
          victim = p;
        }
      }
      if (victim < 0) continue;
      this.unlinkPage(c, victim);
      this.evacPage = victim;
      this.evacClass = c;
      this.evacNext = 0;
      this.rebalanceCursor = (c + 1) % n;
      return true;
    }
    return false;
  }

  private evacuate(deadline: number): void {
    const c = this.evacClass;
    const victim = this.evacPage;
    if (this.pageLive[victim] > this.freeChunks(c) - this.pageFree[victim]) {
      // Allocations since the last slice took the room its live chunks needed: back to service.
      this.evacPage = -1;
      if (this.pageFree[victim] > 0) this.linkPage(c, victim);
      return;
    }
    const size = this.classSize[c];
    const words = size >>> 2;
    const cpp = Math.floor(this.pageSize / size);
    const moveWork = 16 + (size >>> 6);
    const shift = this.locShift;
    const src = this.pages[victim];
    const src32 = this.pages32[victim];
    let work = 0;
    for (let k = this.evacNext; k < cpp && this.pageLive[victim] > 0; k++) {
      const w = (k * size) >>> 2;
      const owner = src32[w];
      work++;
      if (owner >= 0) {
        const loc = this.popFree(c);
        const pid = loc >>> shift;
        const dw = (loc & this.offMask) << 1;
        if (words <= COPY_WORDS_INLINE) {
          const dst32 = this.pages32[pid];
          for (let i = 0; i < words; i++) dst32[dw + i] = src32[w + i];
        } else {
          copyBytes(src, w << 2, this.pages[pid], dw << 2, size);
        }
        this.pageLive[pid]++;
        this.pageLive[victim]--;
        this.pushFree(c, victim, w >>> 1);
        this.onMove(owner, loc);
        work += moveWork;
      }
      if (work >= WORK_PER_CLOCK_READ) {
        work = 0;
        if (performance.now() >= deadline) {
          this.evacNext = k + 1;
          return;
        }
      }
    }
    this.evacPage = -1;
    this.classFree[c] -= this.pageFree[victim];
    this.classPages[c]--;
    this.toPool(victim);
  }

  /** Drop every page (FLUSHALL). */
  reset(): void {
    this.pages = [];
    this.pages32 = [];
    this.pageClass = new Int32Array(16);
    this.pageLive = new Int32Array(16);
    this.pageFree = new Int32Array(16);
    this.pageFreeHead = new Int32Array(16);
    this.pageNext = new Int32Array(16);
    this.pagePrev = new Int32Array(16);
    this.unusedIds = [];
    this.pool = [];
    for (let c = 0; c < this.classCount; c++) {
      this.classHead[c] = -1;
      this.classFree[c] = 0;
      this.carvePage[c] = -1;
      this.carveNext[c] = 0;
      this.classLive[c] = 0;
      this.classPages[c] = 0;
    }
    this.evacPage = -1;
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

  /**
   * Throws unless the invariants of the module comment hold: walks every class page's free list
   * and every class's page list (tests; O(pages + chunks)).
   */
  checkInvariants(): void {
    const n = this.classCount;
    const listed = new Uint8Array(this.pages.length);
    for (let c = 0; c < n; c++) {
      let free = 0;
      let pages = 0;
      for (let p = this.classHead[c], prev = -1; p >= 0; prev = p, p = this.pageNext[p]) {
        if (this.pageClass[p] !== c) throw new Error(`page ${p} on class ${c}'s list is of class ${this.pageClass[p]}`);
        if (listed[p] !== 0) throw new Error(`page ${p} listed twice`);
        if (this.pagePrev[p] !== prev) throw new Error(`page ${p}'s back link is ${this.pagePrev[p]}, not ${prev}`);
        if (this.pageFree[p] === 0) throw new Error(`page ${p} listed with no free chunk`);
        if (p === this.evacPage) throw new Error(`page ${p} listed while evacuated`);
        listed[p] = 1;
      }
      for (let p = 0; p < this.pages.length; p++) {
        if (this.pageClass[p] !== c) continue;
        pages++;
        free += this.pageFree[p];
        if (listed[p] === 0 && this.pageFree[p] > 0 && p !== this.evacPage) throw new Error(`page ${p} has free chunks but is not listed`);
      }
      if (pages !== this.classPages[c]) throw new Error(`class ${c} counts ${this.classPages[c]} pages, holds ${pages}`);
      if (free !== this.classFree[c]) throw new Error(`class ${c} counts ${this.classFree[c]} free chunks, its pages ${free}`);
    }
    const classLive = new Float64Array(n);
    let used = 0;
    for (let p = 0; p < this.pages.length; p++) {
      const c = this.pageClass[p];
      if (c === PAGE_LARGE) used += this.pages[p].length;
      if (c < 0) continue;
      const size = this.classSize[c];
      const carved = p === this.carvePage[c] ? this.carveNext[c] : Math.floor(this.pageSize / size);
      const p32 = this.pages32[p];
      let live = 0;
      for (let k = 0; k < carved; k++) if (p32[(k * size) >>> 2] >= 0) live++;
      if (live !== this.pageLive[p]) throw new Error(`page ${p} counts ${this.pageLive[p]} live chunks, holds ${live}`);
      let onList = 0;
      for (let k = this.pageFreeHead[p]; k >= 0; k = -2 - p32[k << 1]) {
        const off = k << 3;
        if (off % size !== 0 || off / size >= carved) throw new Error(`page ${p}'s free list holds a bad chunk at byte ${off}`);
        if (p32[k << 1] >= 0) throw new Error(`page ${p}'s free list holds a live chunk at byte ${off}`);
        if (++onList > carved) throw new Error(`page ${p}'s free list loops`);
      }
      if (onList !== this.pageFree[p] || live + onList !== carved) throw new Error(`page ${p}: ${live} live + ${onList} on its free list (counted ${this.pageFree[p]}) != ${carved} carved`);
      classLive[c] += live;
      used += live * size;
    }
    for (let c = 0; c < n; c++) if (classLive[c] !== this.classLive[c]) throw new Error(`class ${c} counts ${this.classLive[c]} live chunks, holds ${classLive[c]}`);
    if (used !== this.usedBytes) throw new Error(`usedBytes ${this.usedBytes}, chunks and large pages hold ${used}`);
  }

  /** Bookkeeping held outside the pages (page tables). */
  overheadBytes(): number {
    return this.pageClass.byteLength * 6 + this.classIndex.byteLength + this.classHead.byteLength * 6;
  }
}
