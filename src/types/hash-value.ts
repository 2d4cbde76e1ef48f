/*
 * HashValue: a Redis hash, in one of Redis 7.0's two encodings.
 *
 * - listpack: packed bytes of field, value, field, value ... in insertion order (packed.ts), as
 *   long as there are at most hash-max-listpack-entries fields and no field or value is longer
 *   than hash-max-listpack-value bytes. Updating a field keeps its place and a delete closes the
 *   gap, so HGETALL / HKEYS / HVALS / HSCAN answer in Redis's order.
 * - hashtable: once a threshold is passed. As in Redis 7.0 a hash never converts back. A
 *   hashtable-encoded hash still within hash-max-listpack-entries (and 128) fields, whose
 *   packed form stays within 16 KiB, keeps the packed form: a hash converted only for one long
 *   value (a 100-byte token) then costs its bytes, about what Redis spends, instead of a table's
 *   typed arrays (~200 bytes of V8 objects each). Beyond that it is a ByteTable with values
 *   (byte-table.ts). OBJECT ENCODING answers `hashtable` for both, as for Redis's dict; like any
 *   hashtable, HGETALL / HSCAN order is then unspecified.
 *
 * Where a hash lives: a packed hash has no JS object. Its bytes, [u32 field count | elements],
 * sit in its key's slab chunk (the store's PACKED / PACKED_HASHTABLE encodings), so a million
 * small hashes cost the GC nothing. A command reads them through one shared HashValue, the view
 * (viewPacked), which points at the chunk. A value replaced by one of the same encoded size is
 * overwritten in the chunk itself; any other write first copies the form into the view's write
 * buffer, where edits happen in place, and the command stores the result once (hashes.ts,
 * commitHash). Only a table-backed hash is a HashValue in the store's object table. A HashValue
 * made with `new` (RESTORE building a value) edits its own write buffer the same way.
 *
 * Elements are handed out as byte ranges through HashEntry (packed elements in place, table
 * elements in place too), so replies stream straight from the structure into the reply writer,
 * with no intermediate array. They are valid until the next write.
 *
 * Entry handles (for iteration, random picks and sampling within one command): a byte position
 * in the packed elements, or an entry id for hashtable. They are valid until the next write.
 */
import type { Collection } from './collection.ts';
import { ByteTable, hashBytes, OBJECT_OVERHEAD } from './byte-table.ts';
import * as packed from './packed.ts';
import { ElementBytes, PackedForm } from './packed.ts';

/** A field and its value, as byte ranges. */
export class HashEntry {
  readonly field = new ElementBytes();
  readonly value = new ElementBytes();
}

/** Scratch for listpack entry positions (random access within one command). */
let positions = new Int32Array(256);

function ensurePositions(n: number): Int32Array {
  if (positions.length < n) positions = new Int32Array(Math.max(n, positions.length * 2));
  return positions;
}

/** Most fields of a hashtable-encoded hash kept packed (and at most hash-max-listpack-entries). */
export const SMALL_TABLE_ENTRIES = 128;
/** Most bytes of the packed elements of a hashtable-encoded hash kept packed. */
export const SMALL_TABLE_BYTES = 16384;

/** Scratch used to move a listpack element into a ByteTable on conversion. */
const moveField = new ElementBytes();
const moveValue = new ElementBytes();

/** A hash: its packed form (PackedForm: field, value, ... while table === null) or a table. */
export class HashValue extends PackedForm implements Collection {
  /** Storage beyond the packed form (null while packed). */
  table: ByteTable | null = null;
  /** OBJECT ENCODING is hashtable (a threshold was passed; never reset). */
  hashtable = false;
  /** `hashtable` as it was stored, when bound. */
  private storedHashtable = false;

  encodingName(): string {
    return this.hashtable ? 'hashtable' : 'listpack';
  }

  size(): number {
    return this.table === null ? this.n : this.table.count;
  }

  /** Estimated bytes held, for the store's memory accounting. */
  memoryBytes(): number {
    return this.table === null ? OBJECT_OVERHEAD + this.plen : OBJECT_OVERHEAD + this.table.memoryBytes();
  }

  clone(): HashValue {
    const h = new HashValue();
    h.hashtable = this.hashtable;
    if (this.table !== null) {
      h.table = this.table.clone();
      return h;
    }
    h.copyFrom(this);
    return h;
  }

  /** View the packed hash stored at b[off, off + len) ([count | elements]). */
  bind(b: Uint8Array, off: number, len: number, hashtable: boolean): void {
    this.bindStored(b, off, len);
    this.table = null;
    this.hashtable = hashtable;
    this.storedHashtable = hashtable;
  }

  /** Make this an empty packed hash (a new key being built). */
  clear(): void {
    this.clearStored();
    this.table = null;
    this.hashtable = false;
    this.storedHashtable = false;
  }

  /**
   * The packed form changed since bind() / clear() in a way the store must be told of: its
   * bytes are in the write buffer, or its encoding changed (a same-size overwrite in the chunk
   * needs neither).
   */
  get edited(): boolean {
    return this.table === null && (this.inWriteBuffer || this.hashtable !== this.storedHashtable);
  }

  /**
   * Hand the table (after a conversion) to a new HashValue, for the store's object table, and
   * clear this one.
   */
  detachTable(): HashValue {
    const h = new HashValue();
    h.table = this.table;
    h.hashtable = this.hashtable;
    this.clear();
    return h;
  }

  // ---- reads ----

  /** Handle of the field, or -1. */
  findField(buf: Uint8Array, off: number, len: number): number {
    const t = this.table;
    if (t === null) {
      const p = packed.findAt(this.pbuf, this.pbase, this.n, 2, buf, off, len);
      return p < 0 ? -1 : p - this.pbase;
    }
    return t.find(buf, off, len, hashBytes(buf, off, len));
  }

  has(buf: Uint8Array, off: number, len: number): boolean {
    return this.findField(buf, off, len) >= 0;
  }

  /** Read the entry at a handle into `out`. */
  readEntry(handle: number, out: HashEntry): void {
    const t = this.table;
    if (t === null) {
      const b = this.pbuf;
      const flen = packed.viewAt(b, this.pbase + handle, out.field);
      packed.viewAt(b, out.field.off + flen, out.value);
      return;
    }
    t.readKey(handle, out.field);
    t.readValue(handle, out.value);
  }

  /** Read only the value at a handle into `out`. */
  readValue(handle: number, out: ElementBytes): void {
    const t = this.table;
    if (t === null) {
      packed.viewAt(this.pbuf, packed.skipAt(this.pbuf, this.pbase + handle), out);
      return;
    }
    t.readValue(handle, out);
  }

  /** Length of the value at a handle. */
  valueLength(handle: number): number {
    const t = this.table;
    if (t === null) return packed.readLenAt(this.pbuf, packed.skipAt(this.pbuf, this.pbase + handle));
    return t.valueLength(handle);
  }

  /** First entry handle, or -1. Iterate with next(). */
  first(): number {
    const t = this.table;
    if (t === null) return this.n > 0 ? 0 : -1;
    return t.count > 0 ? 0 : -1;
  }

  /** The entry handle after h, or -1. */
  next(h: number): number {
    const t = this.table;
    if (t === null) {
      const b = this.pbuf;
      const p = packed.skipAt(b, packed.skipAt(b, this.pbase + h)) - this.pbase;
      return p < this.plen ? p : -1;
    }
    return h + 1 < t.count ? h + 1 : -1;
  }

  /**
   * Fill and return a scratch array with every entry handle (valid until the next call or
   * write); its first size() slots are used.
   */
  allHandles(): Int32Array {
    const n = this.size();
    const out = ensurePositions(n);
    let k = 0;
    for (let h = this.first(); h >= 0; h = this.next(h)) out[k++] = h;
    return out;
  }

  /**
   * A random entry handle. For a listpack, call allHandles() first in the same command (the
   * positions it fills are what is sampled).
   */
  randomHandle(): number {
    const t = this.table;
    if (t === null) return positions[Math.floor(Math.random() * this.n)];
    return t.randomId();
  }

  // ---- writes ----

  /**
   * Set field to value; true when the field was added. Converts to a hashtable first when the
   * field or the value is longer than maxValue, and afterwards when there are more than
   * maxEntries fields (hashTypeSet).
   */
  set(
    fbuf: Uint8Array, foff: number, flen: number,
    vbuf: Uint8Array, voff: number, vlen: number,
    maxEntries: number, maxValue: number,
  ): boolean {
    if (!this.hashtable && (flen > maxValue || vlen > maxValue)) this.toTable(maxEntries);
    const t = this.table;
    if (t === null) {
      const p = packed.findAt(this.pbuf, this.pbase, this.n, 2, fbuf, foff, flen);
      let added = false;
      if (p >= 0) {
        this.replaceElement(packed.skipAt(this.pbuf, p) - this.pbase, vbuf, voff, vlen);
      } else {
        const w = this.writable(packed.encodedSize(flen) + packed.encodedSize(vlen));
        const end = packed.putElement(w, this.pbase + this.plen, fbuf, foff, flen);
        this.plen = packed.putElement(w, end, vbuf, voff, vlen) - this.pbase;
        this.n++;
        added = true;
      }
      // An update converts too when the limit was lowered under the hash (CONFIG SET).
      if (this.n > maxEntries) this.toTable(maxEntries);
      else if (this.hashtable && !this.fitsPacked(maxEntries)) this.unpack();
      return added;
    }
    const h = hashBytes(fbuf, foff, flen);
    const id = t.find(fbuf, foff, flen, h);
    if (id >= 0) {
      t.setValue(id, vbuf, voff, vlen);
      return false;
    }
    t.insert(fbuf, foff, flen, h, vbuf, voff, vlen);
    return true;
  }

  /** Remove a field; false when absent. */
  remove(buf: Uint8Array, off: number, len: number): boolean {
    const t = this.table;
    if (t === null) {
      const b = this.pbuf;
      const p = packed.findAt(b, this.pbase, this.n, 2, buf, off, len);
      if (p < 0) return false;
      const from = p - this.pbase;
      const to = packed.skipAt(b, packed.skipAt(b, p)) - this.pbase;
      const w = this.writable(0);
      const base = this.pbase;
      w.copyWithin(base + from, base + to, base + this.plen);
      this.plen -= to - from;
      this.n--;
      return true;
    }
    return t.remove(buf, off, len, hashBytes(buf, off, len));
  }

  /**
   * Convert the listpack encoding to hashtable (hashTypeConvert). The packed form is kept
   * while it is small (see SMALL_TABLE_*), else the fields move into a ByteTable.
   */
  toTable(maxEntries: number): void {
    this.hashtable = true;
    if (this.table === null && !this.fitsPacked(maxEntries)) this.unpack();
  }

  /** A hashtable-encoded hash of this size may stay packed. */
  private fitsPacked(maxEntries: number): boolean {
    return this.n <= maxEntries && this.n <= SMALL_TABLE_ENTRIES && this.plen <= SMALL_TABLE_BYTES;
  }

  /** Replace the element at handle-relative position at by buf[off, off+len). */
  private replaceElement(at: number, buf: Uint8Array, off: number, len: number): void {
    const oldEnd = packed.skipAt(this.pbuf, this.pbase + at) - this.pbase;
    const newSize = packed.encodedSize(len);
    const delta = newSize - (oldEnd - at);
    if (delta === 0) {
      // Same size: overwrite in place, in the key's chunk itself when the form is still there
      // (its length is unchanged, so there is nothing to store afterwards).
      packed.putElement(this.pbuf, this.pbase + at, buf, off, len);
      return;
    }
    const w = this.writable(delta > 0 ? delta : 0);
    const base = this.pbase;
    w.copyWithin(base + at + newSize, base + oldEnd, base + this.plen);
    packed.putElement(w, base + at, buf, off, len);
    this.plen += delta;
  }

  /** Move the packed fields into a ByteTable. */
  private unpack(): void {
    const b = this.pbuf;
    const t = new ByteTable(true, this.n);
    let p = this.pbase;
    for (let i = 0; i < this.n; i++) {
      const flen = packed.viewAt(b, p, moveField);
      const vlen = packed.viewAt(b, moveField.off + flen, moveValue);
      p = moveValue.off + vlen;
      t.insert(b, moveField.off, flen, hashBytes(b, moveField.off, flen), b, moveValue.off, vlen);
    }
    this.table = t;
    this.clearStored();
  }
}

/** The one HashValue that views packed hashes in the store (see the module comment). */
const view = new HashValue();

/** The shared view, pointed at the packed hash stored at b[off, off + len). */
export function viewPacked(b: Uint8Array, off: number, len: number, hashtable: boolean): HashValue {
  view.bind(b, off, len, hashtable);
  return view;
}

/** The shared view, emptied, to build a new packed hash in. */
export function newPackedHash(): HashValue {
  view.clear();
  return view;
}

/** hv is the shared view (its result is stored by the caller), not an object of its own. */
export function isView(hv: HashValue): boolean {
  return hv === view;
}
