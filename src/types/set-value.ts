/*
 * SetValue: a Redis set in the store's object table.
 *
 * Redis 7.0 has two set encodings, intset and hashtable, and OBJECT ENCODING answers exactly
 * as it would: `intset` while every member is a canonical int64 and there are at most
 * set-max-intset-entries of them, `hashtable` from the first other member (or one too many)
 * on, never back. Internally there are three forms (`kind`); the last two answer `hashtable`:
 *
 * - INTSET: a sorted int64 array (int-set.ts); iteration is ascending, as Redis's.
 * - PACKED: a packed latin1 string of members (packed.ts) while there are at most 128
 *   members and the string stays within 4 KiB: Redis 7.2's listpack sets (128 entries), kept
 *   under 7.0's name, bounded by total size rather than 7.2's 64 bytes per member, so a set
 *   of a few long members (URLs, tokens) costs a string, not a hash table's typed arrays.
 * - TABLE: a ByteTable without values (byte-table.ts) beyond that.
 *
 * Member handles (random picks within one command): an index for INTSET, a char position for
 * PACKED, an entry id for TABLE; valid until the next write.
 */
import type { Collection } from './collection.ts';
import { ByteTable, hashBytes, OBJECT_OVERHEAD } from './byte-table.ts';
import { IntSet, pair, toPair } from './int-set.ts';
import * as packed from './packed.ts';
import { ElementBytes } from './packed.ts';
import { isCanonicalInt64, parseCanonicalInt, formatInteger } from '../../store/integer-text.ts';

export const SetKind = { INTSET: 0, PACKED: 1, TABLE: 2 } as const;
export type SetKindCode = (typeof SetKind)[keyof typeof SetKind];

/** Largest member count and packed-string length (chars) of the PACKED form. */
export const PACKED_MAX_ENTRIES = 128;
export const PACKED_MAX_CHARS = 4096;

let positions = new Int32Array(256);
function ensurePositions(n: number): Int32Array {
  if (positions.length < n) positions = new Int32Array(Math.max(n, positions.length * 2));
  return positions;
}

const moveMember = new ElementBytes();

/** Parse buf[off, off+len) as a canonical int64 into pair; false when it is not one. */
function intMember(buf: Uint8Array, off: number, len: number): boolean {
  if (len > 20 || !isCanonicalInt64(buf, off, len)) return false;
  toPair(parseCanonicalInt(buf, off, len));
  return true;
}

export class SetValue implements Collection {
  kind: SetKindCode = SetKind.INTSET;
  ints: IntSet | null = new IntSet();
  packed = '';
  /** Members in the PACKED form. */
  n = 0;
  table: ByteTable | null = null;

  encodingName(): string {
    return this.kind === SetKind.INTSET ? 'intset' : 'hashtable';
  }

  size(): number {
    switch (this.kind) {
      case SetKind.INTSET: return this.ints!.count;
      case SetKind.PACKED: return this.n;
      default: return this.table!.count;
    }
  }

  memoryBytes(): number {
    switch (this.kind) {
      case SetKind.INTSET: return OBJECT_OVERHEAD + 32 + this.ints!.memoryBytes();
      case SetKind.PACKED: return OBJECT_OVERHEAD + packed.stringBytes(this.packed);
      default: return OBJECT_OVERHEAD + this.table!.memoryBytes();
    }
  }

  clone(): SetValue {
    const s = new SetValue();
    s.kind = this.kind;
    s.ints = this.ints === null ? null : this.ints.clone();
    s.packed = this.packed;
    s.n = this.n;
    s.table = this.table === null ? null : this.table.clone();
    return s;
  }

  // ---- reads ----

  has(buf: Uint8Array, off: number, len: number): boolean {
    switch (this.kind) {
      case SetKind.INTSET:
        return intMember(buf, off, len) && this.ints!.has(pair.hi, pair.lo);
      case SetKind.PACKED:
        return packed.find(this.packed, this.n, 1, buf, off, len) >= 0;
      default:
        return this.table!.find(buf, off, len, hashBytes(buf, off, len)) >= 0;
    }
  }

  /** First member handle, or -1; iterate with next(). INTSET iterates in ascending order. */
  first(): number {
    switch (this.kind) {
      case SetKind.INTSET: return this.ints!.count > 0 ? 0 : -1;
      case SetKind.PACKED: return this.n > 0 ? 0 : -1;
      default: return this.table!.count > 0 ? 0 : -1;
    }
  }

  next(h: number): number {
    switch (this.kind) {
      case SetKind.INTSET: return h + 1 < this.ints!.count ? h + 1 : -1;
      case SetKind.PACKED: {
        const p = packed.skip(this.packed, h);
        return p < this.packed.length ? p : -1;
      }
      default: return h + 1 < this.table!.count ? h + 1 : -1;
    }
  }

  /** Point `out` at the member with handle h. */
  read(h: number, out: ElementBytes): void {
    switch (this.kind) {
      case SetKind.INTSET:
        out.len = formatInteger(this.ints!.get(h), out.own, 0);
        out.buf = out.own;
        out.off = 0;
        return;
      case SetKind.PACKED:
        packed.copyOut(this.packed, h, out);
        return;
      default:
        this.table!.readKey(h, out);
    }
  }

  /** Every member handle in a scratch array (valid until the next call or write); size() slots used. */
  allHandles(): Int32Array {
    const out = ensurePositions(this.size());
    let k = 0;
    for (let h = this.first(); h >= 0; h = this.next(h)) out[k++] = h;
    return out;
  }

  /** A random member handle. For PACKED, call allHandles() first in the same command. */
  randomHandle(): number {
    switch (this.kind) {
      case SetKind.INTSET: return Math.floor(Math.random() * this.ints!.count);
      case SetKind.PACKED: return positions[Math.floor(Math.random() * this.n)];
      default: return this.table!.randomId();
    }
  }

  // ---- writes ----

  /**
   * Add a member (setTypeAdd); true when added. An INTSET takes canonical int64 members up to
   * maxIntsetEntries and converts to a hashtable form otherwise.
   */
  add(buf: Uint8Array, off: number, len: number, maxIntsetEntries: number): boolean {
    switch (this.kind) {
      case SetKind.INTSET: {
        if (intMember(buf, off, len)) {
          const ints = this.ints!;
          if (!ints.add(pair.hi, pair.lo)) return false;
          if (ints.count > maxIntsetEntries) this.leaveIntset(0);
          return true;
        }
        this.leaveIntset(len);
        return this.add(buf, off, len, maxIntsetEntries);
      }
      case SetKind.PACKED: {
        const s = this.packed;
        if (packed.find(s, this.n, 1, buf, off, len) >= 0) return false;
        if (this.n >= PACKED_MAX_ENTRIES || s.length + packed.encodedSize(len) > PACKED_MAX_CHARS) {
          this.packedToTable();
          return this.add(buf, off, len, maxIntsetEntries);
        }
        this.packed = packed.append(s, buf, off, len, null, 0, 0);
        this.n++;
        return true;
      }
      default: {
        const t = this.table!;
        const h = hashBytes(buf, off, len);
        if (t.find(buf, off, len, h) >= 0) return false;
        t.insert(buf, off, len, h, null, 0, 0);
        return true;
      }
    }
  }

  /** Remove a member; false when absent. */
  remove(buf: Uint8Array, off: number, len: number): boolean {
    switch (this.kind) {
      case SetKind.INTSET:
        return intMember(buf, off, len) && this.ints!.remove(pair.hi, pair.lo);
      case SetKind.PACKED: {
        const s = this.packed;
        const p = packed.find(s, this.n, 1, buf, off, len);
        if (p < 0) return false;
        this.packed = packed.cut(s, p, packed.skip(s, p));
        this.n--;
        return true;
      }
      default:
        return this.table!.remove(buf, off, len, hashBytes(buf, off, len));
    }
  }

  /** Remove the member at handle h (from first/next/randomHandle in this command). */
  removeHandle(h: number): void {
    switch (this.kind) {
      case SetKind.INTSET:
        this.ints!.removeAt(h);
        return;
      case SetKind.PACKED:
        this.packed = packed.cut(this.packed, h, packed.skip(this.packed, h));
        this.n--;
        return;
      default:
        this.table!.removeId(h);
    }
  }

  /** INTSET -> PACKED (small enough, including a member of `extraLen` bytes about to be added) or TABLE. */
  private leaveIntset(extraLen: number): void {
    const ints = this.ints!;
    const n = ints.count;
    const out = moveMember;
    // n canonical int64s take at most 21 chars each: the string bound only matters for extraLen.
    if (n + (extraLen > 0 ? 1 : 0) <= PACKED_MAX_ENTRIES && n * 21 + packed.encodedSize(extraLen) <= PACKED_MAX_CHARS) {
      let s = '';
      for (let i = 0; i < n; i++) {
        const len = formatInteger(ints.get(i), out.own, 0);
        s = packed.append(s, out.own, 0, len, null, 0, 0);
      }
      this.packed = s;
      this.n = n;
      this.kind = SetKind.PACKED;
    } else {
      const t = new ByteTable(false, n + 1);
      for (let i = 0; i < n; i++) {
        const len = formatInteger(ints.get(i), out.own, 0);
        t.insert(out.own, 0, len, hashBytes(out.own, 0, len), null, 0, 0);
      }
      this.table = t;
      this.kind = SetKind.TABLE;
    }
    this.ints = null;
  }

  private packedToTable(): void {
    const s = this.packed;
    const t = new ByteTable(false, this.n + 1);
    let p = 0;
    for (let i = 0; i < this.n; i++) {
      const len = packed.copyOut(s, p, moveMember);
      p = packed.dataPos + len;
      const b = moveMember.buf;
      t.insert(b, 0, len, hashBytes(b, 0, len), null, 0, 0);
    }
    this.table = t;
    this.packed = '';
    this.n = 0;
    this.kind = SetKind.TABLE;
  }
}
