/*
 * ListValue: a Redis list in the store's object table (Redis 7.0 quicklist semantics).
 *
 * What: a doubly linked list of nodes (Redis's quicklist), each node a byte buffer holding a run
 * of packed entries (Redis's listpack idea), at most `nodeBytes` bytes of entries per node (8 KB,
 * list-max-listpack-size -2; one element bigger than that gets a node of its own). An entry is
 *
 *     header | element bytes | trailer        header = trailer = the element length:
 *     len < 128:    1 byte  len                          (entry overhead 2 bytes)
 *     len < 16384:  2 bytes 0x80|len>>8, len&0xff / mirrored (trailer ends with the tag byte)
 *     otherwise:    5 bytes 0xc0, u32le len / u32le len, 0xc0
 *
 * so entries read forward from the header and backward from the trailer, as listpack's backlen.
 * Each node's buffer is a gap buffer: its entries occupy buf[start, end) with free room on both
 * sides, so a push at either end writes in place and a pop only moves an offset.
 *
 * Small lists (one node of at most SMALL_BYTES) are packed: the same entries as bytes after a
 * 4-byte element count (PackedForm, packed.ts), stored in the key's own slab chunk like a string
 * value, so millions of short lists (recent-items, per-user queues) cost no JS object each.
 * Commands reach a stored small list through a shared view (viewPackedList), which reads the
 * chunk in place. Every write to a small list
 * expands it into a shared scratch node, runs the node code, and packs it back into the form's
 * write buffer while it is still small (O(SMALL_BYTES) per write, no allocation); the command
 * then stores those bytes in the chunk once (lists.ts). A list that outgrows the small form
 * keeps real nodes and moves to the store's object table; one that shrinks to half of it is
 * packed again and moves back into its chunk.
 *
 * Cost: push and pop at either end O(1) amortized (a node's buffer grows by doubling up to
 * nodeBytes; a new node starts when one is full); index access walks nodes from the nearer end,
 * then entries within one node: O(N / entries-per-node + entries-per-node). Middle inserts and
 * deletes move at most one node's bytes (a full node is split). LREM compacts each node in one
 * pass. Elements are binary-safe byte strings; no JS object per element, so the GC sees one
 * object per 8 KB of list.
 *
 * Memory: `bytes` is a running estimate of a list in the object table (list object, node objects,
 * typed arrays, buffer capacities, or a packed form's write buffer), kept exact under every
 * operation; command handlers pass the change to store.adjustObjectBytes. A stored small list
 * is charged its chunk by the store. OBJECT ENCODING is always `quicklist`, as Redis 7.0
 * answers for every list.
 *
 * Reading: ListCursor positions on an element and steps forward or backward, exposing the
 * element as (buf, off, len); replies are written straight from node buffers. A cursor, like
 * the ElementRef filled by peekHead/peekTail, is valid until the next write to any list.
 */
import type { Collection } from './collection.ts';
import { PackedForm } from './packed.ts';
import { copyBytes } from '../../store/bytes.ts';

/** Default bytes of entries per node (Redis list-max-listpack-size -2). */
export const NODE_BYTES = 8192;
/** A list whose entries fit in this many bytes (one node) is kept packed. */
export const SMALL_BYTES = 512;
/** Estimated bytes of a ListValue object. */
const LIST_OVERHEAD = 72;
/** Estimated bytes of a ListNode object plus its Uint8Array (JS object, ArrayBuffer, backing store header). */
const NODE_OVERHEAD = 272;
/** Estimated bytes of a standalone packed form's write buffer beyond its capacity (Buffer object, backing store). */
const BUFFER_OVERHEAD = 96;
/** Smallest node buffer. */
const MIN_CAPACITY = 32;

/** Bytes an element of len bytes takes as an entry (header, data, trailer). */
export function entrySize(len: number): number {
  return len < 0x80 ? len + 2 : len < 0x4000 ? len + 4 : len + 10;
}

function headerSize(len: number): number {
  return len < 0x80 ? 1 : len < 0x4000 ? 2 : 5;
}

/** Data offset of the entry decoded by the last readHeader / readTrailer. */
let dataAt = 0;

/** Length of the entry starting at p; dataAt = its first data byte. */
function readHeader(b: Uint8Array, p: number): number {
  const c = b[p];
  if (c < 0x80) {
    dataAt = p + 1;
    return c;
  }
  if (c < 0xc0) {
    dataAt = p + 2;
    return ((c & 0x3f) << 8) | b[p + 1];
  }
  dataAt = p + 5;
  return (b[p + 1] | (b[p + 2] << 8) | (b[p + 3] << 16)) + b[p + 4] * 0x1000000;
}

/** Length of the entry ending at q (exclusive); dataAt = its first data byte. */
function readTrailer(b: Uint8Array, q: number): number {
  const c = b[q - 1];
  let len: number;
  if (c < 0x80) {
    len = c;
    dataAt = q - 1 - len;
  } else if (c < 0xc0) {
    len = ((c & 0x3f) << 8) | b[q - 2];
    dataAt = q - 2 - len;
  } else {
    len = (b[q - 5] | (b[q - 4] << 8) | (b[q - 3] << 16)) + b[q - 2] * 0x1000000;
    dataAt = q - 5 - len;
  }
  return len;
}

const copyBuffer = Buffer.prototype.copy;

function copyIn(src: Uint8Array, off: number, dst: Uint8Array, at: number, len: number): void {
  if (len <= 32) {
    for (let i = 0; i < len; i++) dst[at + i] = src[off + i];
  } else {
    copyBuffer.call(src, dst, at, off, off + len);
  }
}

/** Write an entry for src[off, off+len) at b[p, p + entrySize(len)). */
function writeEntry(b: Uint8Array, p: number, src: Uint8Array, off: number, len: number): void {
  if (len < 0x80) {
    b[p] = len;
    copyIn(src, off, b, p + 1, len);
    b[p + 1 + len] = len;
  } else if (len < 0x4000) {
    const hi = 0x80 | (len >> 8);
    const lo = len & 0xff;
    b[p] = hi;
    b[p + 1] = lo;
    copyIn(src, off, b, p + 2, len);
    b[p + 2 + len] = lo;
    b[p + 3 + len] = hi;
  } else {
    b[p] = 0xc0;
    b[p + 1] = len & 0xff;
    b[p + 2] = (len >>> 8) & 0xff;
    b[p + 3] = (len >>> 16) & 0xff;
    b[p + 4] = (len >>> 24) & 0xff;
    copyIn(src, off, b, p + 5, len);
    const q = p + 5 + len;
    b[q] = len & 0xff;
    b[q + 1] = (len >>> 8) & 0xff;
    b[q + 2] = (len >>> 16) & 0xff;
    b[q + 3] = (len >>> 24) & 0xff;
    b[q + 4] = 0xc0;
  }
}

function bytesEqual(a: Uint8Array, aoff: number, b: Uint8Array, boff: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[aoff + i] !== b[boff + i]) return false;
  return true;
}

/** An element as a byte range; valid until the next write to any list. */
export class ElementRef {
  buf: Uint8Array = EMPTY;
  off = 0;
  len = 0;
}

const EMPTY = new Uint8Array(0);

export class ListNode {
  buf: Uint8Array;
  /** Entries occupy buf[start, end). */
  start: number;
  end: number;
  count = 0;
  prev: ListNode | null = null;
  next: ListNode | null = null;

  constructor(buf: Uint8Array, at: number) {
    this.buf = buf;
    this.start = at;
    this.end = at;
  }
}

// ---- the small form's scratch node ----
// A small list is expanded into this node for the length of one operation (see the file comment).
let scratchBuf = new Uint8Array(4 * SMALL_BYTES);
const scratchNode = new ListNode(scratchBuf, 0);
/** The current operation expanded a small list into the scratch node (operations never nest). */
let expanded = false;
/** Position found by locate() / seekNode(): node, entry start, index within the node. */
let locNode: ListNode = scratchNode;
let locPos = 0;
let locIndex = 0;

export class ListValue extends PackedForm implements Collection {
  /** Packed: the entries are the packed form's (one node's worth, at most SMALL_BYTES); else in nodes. */
  small = true;
  head: ListNode | null = null;
  tail: ListNode | null = null;
  length = 0;
  nodeCount = 0;
  /** Estimated memory in bytes. */
  bytes = LIST_OVERHEAD;
  /** Bytes of entries per node. */
  readonly nodeBytes: number;

  constructor(nodeBytes: number = NODE_BYTES) {
    super();
    this.nodeBytes = nodeBytes;
  }

  /** Largest entries size kept in the small form. */
  private get smallBytes(): number {
    return this.nodeBytes < SMALL_BYTES ? this.nodeBytes : SMALL_BYTES;
  }

  encodingName(): string {
    return 'quicklist';
  }

  size(): number {
    return this.length;
  }

  clone(): ListValue {
    const out = new ListValue(this.nodeBytes);
    out.length = this.length;
    if (this.small) {
      out.copyFrom(this);
      out.bytes = out.packedBytes();
      return out;
    }
    out.small = false;
    out.bytes = LIST_OVERHEAD;
    for (let n = this.head; n !== null; n = n.next) {
      const used = n.end - n.start;
      const copy = new ListNode(n.buf.slice(n.start, n.end), 0);
      copy.end = used;
      copy.count = n.count;
      out.linkAfter(copy, out.tail);
      out.bytes += NODE_OVERHEAD + used;
    }
    return out;
  }

  // ---- the small form ----

  /** Point this list (a shared view) at the small list stored at b[off, off + len). */
  bindList(b: Uint8Array, off: number, len: number): void {
    this.bindStored(b, off, len);
    this.small = true;
    this.length = this.n;
    this.head = this.tail = null;
    this.nodeCount = 0;
    this.bytes = LIST_OVERHEAD;
  }

  /** Make this list empty and small. */
  clearList(): void {
    this.clearStored();
    this.small = true;
    this.length = 0;
    this.head = this.tail = null;
    this.nodeCount = 0;
    this.bytes = LIST_OVERHEAD;
  }

  /** A new list holding this one's contents (its nodes, or a copy of its packed form); this one is emptied. */
  detach(): ListValue {
    let out: ListValue;
    if (this.small) {
      out = this.clone();
    } else {
      out = new ListValue(this.nodeBytes);
      out.length = this.length;
      out.small = false;
      out.head = this.head;
      out.tail = this.tail;
      out.nodeCount = this.nodeCount;
      out.bytes = this.bytes;
    }
    this.clearList();
    return out;
  }

  /** Estimate of a small list held in its own write buffer. */
  private packedBytes(): number {
    return LIST_OVERHEAD + BUFFER_OVERHEAD + this.writeBufferBytes;
  }

  /** Expand a small list into the scratch node (no-op for a list in nodes). */
  private expand(): void {
    if (!this.small) return;
    const n = this.plen;
    if (scratchBuf.length < 2 * n + 64) scratchBuf = new Uint8Array(2 * n + 64);
    const node = scratchNode;
    node.buf = scratchBuf;
    node.prev = node.next = null;
    // Centered, so a push at either end has room. An empty list gets the (empty) scratch node
    // too, so its first push does not allocate; settle() never leaves it in a list.
    const at = (scratchBuf.length - n) >> 1;
    const src = this.pbuf;
    const base = this.pbase;
    copyBytes(src, base, scratchBuf, at, n);
    node.start = at;
    node.end = at + n;
    node.count = this.length;
    this.small = false;
    this.head = this.tail = node;
    this.nodeCount = 1;
    this.bytes = LIST_OVERHEAD + NODE_OVERHEAD + scratchBuf.length;
    expanded = true;
  }

  /**
   * After a write: pack a list that fits in one small node again (up to SMALL_BYTES straight
   * from the scratch node, half of that from a real node, so a list near the limit does not
   * flip at every push and pop), and give a list that grew out of the scratch node real buffers.
   */
  private settle(): void {
    const wasExpanded = expanded;
    expanded = false;
    if (this.length === 0) {
      this.replaceElements(scratchBuf, 0, 0, 0);
      this.small = true;
      this.head = this.tail = null;
      this.nodeCount = 0;
      this.bytes = this.packedBytes();
      return;
    }
    const h = this.head!;
    if (h === this.tail) {
      const used = h.end - h.start;
      if (used <= (h === scratchNode ? this.smallBytes : this.smallBytes >> 1)) {
        this.replaceElements(h.buf, h.start, used, this.length);
        this.small = true;
        this.head = this.tail = null;
        this.nodeCount = 0;
        this.bytes = this.packedBytes();
        return;
      }
    }
    if (!wasExpanded) return;
    // The list grew out of the scratch node (a few nodes at most): swap in a real node.
    for (let n: ListNode | null = h; n !== null; n = n.next) {
      if (n !== scratchNode) continue;
      if (n.count === 0) {
        this.unlink(n);
      } else {
        const u = n.end - n.start;
        const cap = Math.min(Math.max(MIN_CAPACITY, u * 2), Math.max(this.nodeBytes, u));
        const real = new ListNode(new Uint8Array(cap), (cap - u) >> 1);
        copyBytes(n.buf, n.start, real.buf, real.start, u);
        real.end = real.start + u;
        real.count = n.count;
        real.prev = n.prev;
        real.next = n.next;
        if (real.prev !== null) real.prev.next = real;
        else this.head = real;
        if (real.next !== null) real.next.prev = real;
        else this.tail = real;
        this.bytes += cap - n.buf.length;
      }
      n.buf = scratchBuf;
      n.prev = n.next = null;
      break;
    }
  }

  // ---- node plumbing ----

  private linkAfter(n: ListNode, after: ListNode | null): void {
    if (after === null) {
      n.prev = null;
      n.next = this.head;
      if (this.head !== null) this.head.prev = n;
      else this.tail = n;
      this.head = n;
    } else {
      n.prev = after;
      n.next = after.next;
      if (after.next !== null) after.next.prev = n;
      else this.tail = n;
      after.next = n;
    }
    this.nodeCount++;
  }

  private unlink(n: ListNode): void {
    if (n.prev !== null) n.prev.next = n.next;
    else this.head = n.next;
    if (n.next !== null) n.next.prev = n.prev;
    else this.tail = n.prev;
    n.prev = n.next = null;
    this.nodeCount--;
    this.bytes -= NODE_OVERHEAD + n.buf.length;
  }

  /**
   * A new empty node able to take `need` bytes (a neighbour is full, so it gets a whole node's
   * room; one element bigger than a node gets exactly its size); its entries start at the end of
   * the buffer when `atFront`.
   */
  private newNode(need: number, atFront: boolean): ListNode {
    const cap = need > this.nodeBytes ? need : this.nodeBytes;
    this.bytes += NODE_OVERHEAD + cap;
    return new ListNode(new Uint8Array(cap), atFront ? cap : 0);
  }

  /**
   * Make `need` free bytes before (atFront) or after the node's entries: recentre within the
   * buffer when the total fits, else grow it (doubling, up to nodeBytes or what one entry needs).
   */
  private makeRoom(n: ListNode, need: number, atFront: boolean): void {
    const used = n.end - n.start;
    const cap = n.buf.length;
    const total = used + need;
    if (total <= cap) {
      // Recentre: the side being pushed gets at least `need`, the rest of the room is split.
      const spare = cap - total;
      const at = atFront ? need + (spare >> 1) : spare >> 1;
      n.buf.copyWithin(at, n.start, n.end);
      n.start = at;
      n.end = at + used;
      return;
    }
    let next = Math.max(cap * 2, total);
    const limit = Math.max(this.nodeBytes, total);
    if (next > limit) next = limit;
    const buf = new Uint8Array(next);
    const at = atFront ? next - used : 0;
    copyBytes(n.buf, n.start, buf, at, used);
    this.bytes += next - cap;
    n.buf = buf;
    n.start = at;
    n.end = at + used;
  }

  /** Open a gap of `need` bytes at p inside node n (moving the shorter side); returns where to write. */
  private openGap(n: ListNode, p: number, need: number): number {
    const before = p - n.start;
    const after = n.end - p;
    const b = n.buf;
    if (n.start >= need && (before <= after || b.length - n.end < need)) {
      b.copyWithin(n.start - need, n.start, p);
      n.start -= need;
      return p - need;
    }
    if (b.length - n.end >= need) {
      b.copyWithin(p + need, p, n.end);
      n.end += need;
      return p;
    }
    const used = n.end - n.start;
    const total = used + need;
    const cap = b.length;
    let size = total <= cap ? cap : Math.max(cap * 2, total);
    const limit = Math.max(this.nodeBytes, total);
    if (size > limit) size = limit;
    const buf = new Uint8Array(size);
    const at = (size - total) >> 1;
    copyBytes(b, n.start, buf, at, before);
    copyBytes(b, p, buf, at + before + need, n.end - p);
    this.bytes += size - cap;
    n.buf = buf;
    n.start = at;
    n.end = at + total;
    return at + before;
  }

  /** Close the entry [p, p + size) of node n (moving the shorter side). */
  private closeGap(n: ListNode, p: number, size: number): void {
    const b = n.buf;
    if (p - n.start <= n.end - p - size) {
      b.copyWithin(n.start + size, n.start, p);
      n.start += size;
    } else {
      b.copyWithin(p, p + size, n.end);
      n.end -= size;
    }
  }

  /** Position on element `index` (0 <= index < length, list in nodes): locNode, locPos, locIndex. */
  private locate(index: number): void {
    let n: ListNode;
    let li: number;
    if (index < this.length >> 1) {
      n = this.head!;
      while (index >= n.count) {
        index -= n.count;
        n = n.next!;
      }
      li = index;
    } else {
      let r = this.length - 1 - index;
      n = this.tail!;
      while (r >= n.count) {
        r -= n.count;
        n = n.prev!;
      }
      li = n.count - 1 - r;
    }
    const b = n.buf;
    let p: number;
    if (li < n.count >> 1) {
      p = n.start;
      for (let i = 0; i < li; i++) p += entrySize(readHeader(b, p));
    } else {
      p = n.end;
      for (let i = n.count; i > li; i--) {
        const len = readTrailer(b, p);
        p = dataAt - headerSize(len);
      }
    }
    locNode = n;
    locPos = p;
    locIndex = li;
  }

  /** Merge node n with a neighbour when both together take at most 3/4 of a node. */
  private mergeAround(n: ListNode): void {
    const limit = (this.nodeBytes * 3) >> 2;
    const used = n.end - n.start;
    const p = n.prev;
    if (p !== null && p.end - p.start + used <= limit) {
      this.append(p, n);
      return;
    }
    const q = n.next;
    if (q !== null && q.end - q.start + used <= limit) this.append(n, q);
  }

  /** Move all entries of b (the node after a) to the end of a and drop b. */
  private append(a: ListNode, b: ListNode): void {
    const used = b.end - b.start;
    if (a.buf.length - a.end < used) this.makeRoom(a, used, false);
    copyBytes(b.buf, b.start, a.buf, a.end, b.end - b.start);
    a.end += used;
    a.count += b.count;
    this.unlink(b);
  }

  // ---- writes (each expands a small list, runs on nodes, settles) ----

  pushTail(src: Uint8Array, off: number, len: number): void {
    this.expand();
    this.pushTailNodes(src, off, len);
    this.settle();
  }

  pushHead(src: Uint8Array, off: number, len: number): void {
    this.expand();
    this.pushHeadNodes(src, off, len);
    this.settle();
  }

  /** Push several arguments' worth of elements (LPUSH/RPUSH a b c) with one expand/settle. */
  pushMany(atHead: boolean, bufs: Uint8Array, offs: Int32Array, lens: Int32Array, from: number, to: number): void {
    this.expand();
    for (let i = from; i < to; i++) {
      if (atHead) this.pushHeadNodes(bufs, offs[i], lens[i]);
      else this.pushTailNodes(bufs, offs[i], lens[i]);
    }
    this.settle();
  }

  private pushTailNodes(src: Uint8Array, off: number, len: number): void {
    const need = entrySize(len);
    let n = this.tail;
    if (n === null || n.end - n.start + need > this.nodeBytes) {
      n = this.newNode(need, false);
      this.linkAfter(n, this.tail);
    } else if (n.buf.length - n.end < need) {
      this.makeRoom(n, need, false);
    }
    writeEntry(n.buf, n.end, src, off, len);
    n.end += need;
    n.count++;
    this.length++;
  }

  private pushHeadNodes(src: Uint8Array, off: number, len: number): void {
    const need = entrySize(len);
    let n = this.head;
    if (n === null || n.end - n.start + need > this.nodeBytes) {
      n = this.newNode(need, true);
      this.linkAfter(n, null);
    } else if (n.start < need) {
      this.makeRoom(n, need, true);
    }
    n.start -= need;
    writeEntry(n.buf, n.start, src, off, len);
    n.count++;
    this.length++;
  }

  /** Remove the first k elements (k <= length). */
  trimHead(k: number): void {
    if (k <= 0) return;
    this.expand();
    this.length -= k;
    while (k > 0) {
      const n = this.head!;
      if (n.count <= k) {
        k -= n.count;
        this.unlink(n);
        continue;
      }
      const b = n.buf;
      let p = n.start;
      for (let i = 0; i < k; i++) p += entrySize(readHeader(b, p));
      n.start = p;
      n.count -= k;
      k = 0;
    }
    this.settle();
  }

  /** Remove the last k elements (k <= length). */
  trimTail(k: number): void {
    if (k <= 0) return;
    this.expand();
    this.length -= k;
    while (k > 0) {
      const n = this.tail!;
      if (n.count <= k) {
        k -= n.count;
        this.unlink(n);
        continue;
      }
      const b = n.buf;
      let q = n.end;
      for (let i = 0; i < k; i++) {
        const len = readTrailer(b, q);
        q = dataAt - headerSize(len);
      }
      n.end = q;
      n.count -= k;
      k = 0;
    }
    this.settle();
  }

  popHead(): void {
    this.trimHead(1);
  }

  popTail(): void {
    this.trimTail(1);
  }

  /** Insert an element so that it becomes element `index` (0 <= index <= length). */
  insertAt(index: number, src: Uint8Array, off: number, len: number): void {
    this.expand();
    this.insertAtNodes(index, src, off, len);
    this.settle();
  }

  private insertAtNodes(index: number, src: Uint8Array, off: number, len: number): void {
    if (index <= 0) {
      this.pushHeadNodes(src, off, len);
      return;
    }
    if (index >= this.length) {
      this.pushTailNodes(src, off, len);
      return;
    }
    this.locate(index);
    const n = locNode;
    const p = locPos;
    const need = entrySize(len);
    if (n.end - n.start + need <= this.nodeBytes) {
      const at = this.openGap(n, p, need);
      writeEntry(n.buf, at, src, off, len);
      n.count++;
      this.length++;
      return;
    }
    // The node is full: split it at p (unless p is its first entry), then put the entry at the
    // end of the left part, the start of the right part, or in a node of its own between them.
    let left: ListNode | null;
    let right: ListNode;
    if (p === n.start) {
      left = n.prev;
      right = n;
    } else {
      const li = locIndex;
      const tailBytes = n.end - p;
      const cap = Math.max(this.nodeBytes, tailBytes);
      const m = new ListNode(new Uint8Array(cap), 0);
      copyBytes(n.buf, p, m.buf, 0, n.end - p);
      m.end = tailBytes;
      m.count = n.count - li;
      n.end = p;
      n.count = li;
      this.bytes += NODE_OVERHEAD + cap;
      this.linkAfter(m, n);
      left = n;
      right = m;
    }
    let target: ListNode;
    let at: number;
    if (left !== null && left.end - left.start + need <= this.nodeBytes) {
      target = left;
      if (target.buf.length - target.end < need) this.makeRoom(target, need, false);
      at = target.end;
      target.end += need;
    } else if (right.end - right.start + need <= this.nodeBytes) {
      target = right;
      if (target.start < need) this.makeRoom(target, need, true);
      target.start -= need;
      at = target.start;
    } else {
      target = this.newNode(need, false);
      this.linkAfter(target, left);
      at = 0;
      target.end = need;
    }
    writeEntry(target.buf, at, src, off, len);
    target.count++;
    this.length++;
  }

  /** Remove element `index` (0 <= index < length). */
  removeAt(index: number): void {
    this.expand();
    this.removeAtNodes(index);
    this.settle();
  }

  private removeAtNodes(index: number): void {
    this.locate(index);
    const n = locNode;
    const p = locPos;
    this.closeGap(n, p, entrySize(readHeader(n.buf, p)));
    n.count--;
    this.length--;
    if (n.count === 0) this.unlink(n);
    else if (n.end - n.start < this.nodeBytes >> 2) this.mergeAround(n);
  }

  /** Replace element `index` (0 <= index < length) (LSET). */
  setAt(index: number, src: Uint8Array, off: number, len: number): void {
    this.expand();
    this.locate(index);
    const n = locNode;
    const p = locPos;
    const oldLen = readHeader(n.buf, p);
    if (entrySize(oldLen) === entrySize(len)) {
      writeEntry(n.buf, p, src, off, len);
    } else {
      this.removeAtNodes(index);
      this.insertAtNodes(index, src, off, len);
    }
    this.settle();
  }

  /**
   * LREM: remove up to `limit` elements equal to src[off, off+len) (0: all), scanning from the
   * tail when fromTail. Returns the number removed. Each node is compacted in one pass.
   */
  removeMatches(src: Uint8Array, off: number, len: number, limit: number, fromTail: boolean): number {
    this.expand();
    let removed = 0;
    const size = entrySize(len);
    let n = fromTail ? this.tail : this.head;
    while (n !== null && (limit === 0 || removed < limit)) {
      const b = n.buf;
      const before = removed;
      if (!fromTail) {
        let r = n.start;
        let w = n.start;
        while (r < n.end) {
          const elen = readHeader(b, r);
          const esize = entrySize(elen);
          if ((limit === 0 || removed < limit) && esize === size && elen === len && bytesEqual(b, dataAt, src, off, len)) {
            removed++;
          } else {
            if (w !== r) b.copyWithin(w, r, r + esize);
            w += esize;
          }
          r += esize;
        }
        n.end = w;
      } else {
        let r = n.end;
        let w = n.end;
        while (r > n.start) {
          const elen = readTrailer(b, r);
          const es = dataAt - headerSize(elen);
          if ((limit === 0 || removed < limit) && elen === len && bytesEqual(b, dataAt, src, off, len)) {
            removed++;
          } else {
            w -= r - es;
            if (w !== es) b.copyWithin(w, es, r);
          }
          r = es;
        }
        n.start = w;
      }
      const next: ListNode | null = fromTail ? n.prev : n.next;
      if (removed !== before) {
        n.count -= removed - before;
        if (n.count === 0) this.unlink(n);
      }
      n = next;
    }
    this.length -= removed;
    if (removed > 0 && this.nodeCount > 1) this.mergeAll();
    this.settle();
    return removed;
  }

  /** One pass merging neighbours that together take at most 3/4 of a node. */
  private mergeAll(): void {
    const limit = (this.nodeBytes * 3) >> 2;
    let n = this.head;
    while (n !== null && n.next !== null) {
      const m = n.next;
      if (n.end - n.start + (m.end - m.start) <= limit) this.append(n, m);
      else n = m;
    }
  }

  // ---- reads ----

  /** The first element into ref (length > 0). */
  peekHead(ref: ElementRef): void {
    this.peekAt(0, ref);
  }

  /** The last element into ref (length > 0). */
  peekTail(ref: ElementRef): void {
    this.peekAt(this.length - 1, ref);
  }

  /** Element `index` (0 <= index < length) into ref. */
  peekAt(index: number, ref: ElementRef): void {
    const c = sharedCursor;
    c.seek(this, index);
    ref.buf = c.buf;
    ref.off = c.off;
    ref.len = c.len;
  }

  /** The first node to read from: the scratch node over a small list's entries, or the head. */
  readHead(): ListNode | null {
    if (this.small) return this.readSmall();
    return this.head;
  }

  /** Point the scratch node at a small list's entries, where they are (chunk or write buffer), for reading. */
  private readSmall(): ListNode | null {
    if (this.length === 0) return null;
    const node = scratchNode;
    node.buf = this.pbuf;
    node.prev = node.next = null;
    node.start = this.pbase;
    node.end = this.pbase + this.plen;
    node.count = this.length;
    return node;
  }

  /** Node and entry position of element index for a cursor (list in nodes or read through scratch). */
  seekNode(index: number): ListNode {
    if (this.small) {
      const node = this.readSmall()!;
      const b = node.buf;
      let p = node.start;
      for (let i = 0; i < index; i++) p += entrySize(readHeader(b, p));
      locNode = node;
      locPos = p;
      return node;
    }
    this.locate(index);
    return locNode;
  }

  /** Entry position found by the last seekNode. */
  seekPos(): number {
    return locPos;
  }

  /** All elements as Buffers (tests, debugging). */
  toArray(): Buffer[] {
    const out: Buffer[] = [];
    const c = new ListCursor();
    if (this.length === 0) return out;
    c.seek(this, 0);
    do out.push(Buffer.from(c.buf.subarray(c.off, c.off + c.len))); while (c.next());
    return out;
  }

  /** Check the structure's invariants (tests). Returns an error text or null. */
  checkInvariants(): string | null {
    if (this.small) {
      if (this.head !== null || this.tail !== null) return 'small list with nodes';
      if (this.plen > this.smallBytes) return 'packed list too big';
      const b = this.pbuf;
      const end = this.pbase + this.plen;
      let p = this.pbase;
      let k = 0;
      while (p < end) {
        p += entrySize(readHeader(b, p));
        k++;
      }
      if (p !== end || k !== this.length || this.n !== this.length) return 'packed entries inconsistent';
      if (this.bytes !== LIST_OVERHEAD && this.bytes !== this.packedBytes()) return `bytes ${this.bytes} != estimate`;
      return null;
    }
    let count = 0;
    let nodes = 0;
    let bytes = LIST_OVERHEAD;
    let prev: ListNode | null = null;
    for (let n = this.head; n !== null; n = n.next) {
      if (n === scratchNode) return 'scratch node left in a list';
      if (n.prev !== prev) return 'broken prev link';
      if (n.count <= 0) return 'empty node';
      if (n.start < 0 || n.end > n.buf.length || n.start > n.end) return 'bad node bounds';
      let p = n.start;
      let k = 0;
      while (p < n.end) {
        const len = readHeader(n.buf, p);
        const q = p + entrySize(len);
        const back = readTrailer(n.buf, q);
        if (back !== len) return 'trailer differs from header';
        p = q;
        k++;
      }
      if (p !== n.end || k !== n.count) return `node entries inconsistent (${k} vs ${n.count})`;
      if (n.end - n.start > this.nodeBytes && n.count > 1) return 'node over the size limit';
      count += n.count;
      nodes++;
      bytes += NODE_OVERHEAD + n.buf.length;
      prev = n;
    }
    if (prev !== this.tail) return 'tail mismatch';
    if (count !== this.length) return `length ${this.length} != ${count}`;
    if (nodes !== this.nodeCount) return 'node count mismatch';
    if (bytes !== this.bytes) return `bytes ${this.bytes} != ${bytes}`;
    return null;
  }
}

/**
 * Reads elements in order from a position, forward or backward: seek(list, index), then
 * next()/prev() until they return false. The current element is buf[off, off + len). A cursor
 * is invalidated by any write to any list.
 */
export class ListCursor {
  buf: Uint8Array = EMPTY;
  off = 0;
  len = 0;
  private node: ListNode | null = null;
  /** Start of the current entry. */
  private pos = 0;
  /** End of the current entry. */
  private endPos = 0;

  /** Position on element index (0 <= index < list.length). */
  seek(list: ListValue, index: number): void {
    const n = list.seekNode(index);
    this.node = n;
    this.pos = list.seekPos();
    this.load();
  }

  private load(): void {
    const n = this.node!;
    const b = n.buf;
    const len = readHeader(b, this.pos);
    this.buf = b;
    this.off = dataAt;
    this.len = len;
    this.endPos = dataAt + len + headerSize(len);
  }

  /** Step to the next element; false past the last one. */
  next(): boolean {
    let n = this.node!;
    if (this.endPos < n.end) {
      this.pos = this.endPos;
    } else {
      const m = n.next;
      if (m === null) return false;
      n = this.node = m;
      this.pos = n.start;
    }
    this.load();
    return true;
  }

  /** Step to the previous element; false before the first one. */
  prev(): boolean {
    let n = this.node!;
    let q: number;
    if (this.pos > n.start) {
      q = this.pos;
    } else {
      const m = n.prev;
      if (m === null) return false;
      n = this.node = m;
      q = n.end;
    }
    const b = n.buf;
    const len = readTrailer(b, q);
    this.buf = b;
    this.off = dataAt;
    this.len = len;
    this.pos = dataAt - headerSize(len);
    this.endPos = q;
    return true;
  }

  /** The current element equals src[off, off+len). */
  equals(src: Uint8Array, off: number, len: number): boolean {
    return this.len === len && bytesEqual(this.buf, this.off, src, off, len);
  }
}

const sharedCursor = new ListCursor();

/**
 * The shared view through which commands reach a stored small list. A command holds one at a
 * time: LMOVE copies the element it moves and stores the source before it looks up the
 * destination. The view's writes land in its write buffer; the command stores them (lists.ts),
 * so a view never outlives the command.
 */
const view = new ListValue();

/** The view pointed at the small list stored at b[off, off + len). */
export function viewPackedList(b: Uint8Array, off: number, len: number): ListValue {
  view.bindList(b, off, len);
  return view;
}

/** The view, emptied, to build a new list in. */
export function newPackedList(): ListValue {
  view.clearList();
  return view;
}

/** The list is the shared view (its result is stored by the caller), not an object of its own. */
export function isListView(list: ListValue): boolean {
  return list === view;
}
