/*
 * HashValue: a Redis hash in the store's object table, in one of Redis 7.0's two encodings.
 *
 * - listpack: a packed latin1 string of field, value, field, value ... in insertion order
 *   (packed.ts), as long as there are at most hash-max-listpack-entries fields and no field
 *   or value is longer than hash-max-listpack-value bytes. Updating a field keeps its place and
 *   a delete closes the gap, so HGETALL / HKEYS / HVALS / HSCAN answer in Redis's order.
 * - hashtable: once a threshold is passed. As in Redis 7.0 a hash never converts back. A
 *   hashtable-encoded hash still within hash-max-listpack-entries (and 128) fields, whose
 *   packed form stays within 4 KiB, keeps the packed string: a hash converted only for one
 *   long value (a 100-byte token) then costs its bytes plus a string header, about what Redis
 *   spends, instead of a table's typed arrays (~200 bytes of V8 objects each). Beyond that it
 *   is a ByteTable with values (byte-table.ts). OBJECT ENCODING answers `hashtable` for both,
 *   as for Redis's dict; like any hashtable, HGETALL / HSCAN order is then unspecified.
 *
 * The object is stable (the store's object table keeps it); conversion swaps its insides.
 * Elements are handed out as byte ranges through HashEntry (packed elements are copied into
 * its scratch, hashtable elements are read in place), so replies stream straight from the
 * structure into the reply writer, with no intermediate array.
 *
 * Entry handles (for random picks and sampling within one command): a char position for
 * listpack, an entry id for hashtable. They are valid until the next write.
 */
import type { Collection } from '../commands/collection.ts';
import { ByteTable, hashBytes, OBJECT_OVERHEAD } from './byte-table.ts';
import * as packed from './packed.ts';
import { ElementBytes } from './packed.ts';

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
/** Most chars of the packed string of a hashtable-encoded hash kept packed. */
export const SMALL_TABLE_CHARS = 4096;

/** Scratch used to move a listpack element into a ByteTable on conversion. */
const moveField = new ElementBytes();
const moveValue = new ElementBytes();

export class HashValue implements Collection {
  /** listpack form: field, value, ... (when table === null). */
  packed = '';
  /** Entries in the listpack form. */
  n = 0;
  /** Storage beyond the packed form (null while packed). */
  table: ByteTable | null = null;
  /** OBJECT ENCODING is hashtable (a threshold was passed; never reset). */
  hashtable = false;

  encodingName(): string {
    return this.hashtable ? 'hashtable' : 'listpack';
  }

  size(): number {
    return this.table === null ? this.n : this.table.count;
  }

  /** Estimated bytes held, for the store's memory accounting. */
  memoryBytes(): number {
    return this.table === null ? OBJECT_OVERHEAD + packed.stringBytes(this.packed) : OBJECT_OVERHEAD + this.table.memoryBytes();
  }

  clone(): HashValue {
    const h = new HashValue();
    h.packed = this.packed;
    h.n = this.n;
    h.table = this.table === null ? null : this.table.clone();
    h.hashtable = this.hashtable;
    return h;
  }

  // ---- reads ----

  /** Handle of the field, or -1. */
  findField(buf: Uint8Array, off: number, len: number): number {
    const t = this.table;
    if (t === null) return packed.find(this.packed, this.n, 2, buf, off, len);
    return t.find(buf, off, len, hashBytes(buf, off, len));
  }

  has(buf: Uint8Array, off: number, len: number): boolean {
    return this.findField(buf, off, len) >= 0;
  }

  /** Read the entry at a handle into `out`. */
  readEntry(handle: number, out: HashEntry): void {
    const t = this.table;
    if (t === null) {
      const flen = packed.copyOut(this.packed, handle, out.field);
      // copyOut leaves packed.dataPos at the field's first byte.
      packed.copyOut(this.packed, packed.dataPos + flen, out.value);
      return;
    }
    t.readKey(handle, out.field);
    t.readValue(handle, out.value);
  }

  /** Read only the value at a handle into `out`. */
  readValue(handle: number, out: ElementBytes): void {
    const t = this.table;
    if (t === null) {
      packed.copyOut(this.packed, packed.skip(this.packed, handle), out);
      return;
    }
    t.readValue(handle, out);
  }

  /** Length of the value at a handle. */
  valueLength(handle: number): number {
    const t = this.table;
    if (t === null) return packed.readLen(this.packed, packed.skip(this.packed, handle));
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
      const s = this.packed;
      const p = packed.skip(s, packed.skip(s, h));
      return p < s.length ? p : -1;
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
      const s = this.packed;
      const p = packed.find(s, this.n, 2, fbuf, foff, flen);
      let added = false;
      if (p >= 0) {
        this.packed = packed.replace(s, packed.skip(s, p), vbuf, voff, vlen);
      } else {
        this.packed = packed.append(s, fbuf, foff, flen, vbuf, voff, vlen);
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
      const s = this.packed;
      const p = packed.find(s, this.n, 2, buf, off, len);
      if (p < 0) return false;
      this.packed = packed.cut(s, p, packed.skip(s, packed.skip(s, p)));
      this.n--;
      return true;
    }
    return t.remove(buf, off, len, hashBytes(buf, off, len));
  }

  /**
   * Convert the listpack encoding to hashtable (hashTypeConvert). The packed string is kept
   * while it is small (see SMALL_TABLE_*), else the fields move into a ByteTable.
   */
  toTable(maxEntries: number): void {
    this.hashtable = true;
    if (this.table === null && !this.fitsPacked(maxEntries)) this.unpack();
  }

  /** A hashtable-encoded hash of this size may stay packed. */
  private fitsPacked(maxEntries: number): boolean {
    return this.n <= maxEntries && this.n <= SMALL_TABLE_ENTRIES && this.packed.length <= SMALL_TABLE_CHARS;
  }

  /** Move the packed fields into a ByteTable. */
  private unpack(): void {
    const s = this.packed;
    const t = new ByteTable(true, this.n);
    let p = 0;
    for (let i = 0; i < this.n; i++) {
      const flen = packed.copyOut(s, p, moveField);
      p = packed.dataPos + flen;
      const vlen = packed.copyOut(s, p, moveValue);
      p = packed.dataPos + vlen;
      const fb = moveField.buf;
      t.insert(fb, 0, flen, hashBytes(fb, 0, flen), moveValue.buf, 0, vlen);
    }
    this.table = t;
    this.packed = '';
    this.n = 0;
  }
}
