/*
 * The generic step after a write to a complex value: an emptied collection's key is deleted
 * (as Redis does), else its memory estimate is re-charged.
 */
import type { Keyspace } from '../../store/keyspace.ts';

/**
 * After a write to the collection at handle h: delete the key when it is left with no
 * elements (as Redis does), else re-charge its memory estimate by `bytesDelta`.
 */
export function settleAfterWrite(store: Keyspace, h: number, remaining: number, bytesDelta: number): void {
  if (remaining === 0) store.deleteHandle(h);
  else if (bytesDelta !== 0) store.adjustObjectBytes(h, bytesDelta);
}
