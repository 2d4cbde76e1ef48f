/*
 * Redis's glob matcher (util.c stringmatchlen) over bytes: `*`, `?`, `[...]` classes with
 * ranges and `^` negation, and `\` escapes, optionally case-insensitive. Used by KEYS, SCAN
 * MATCH and CONFIG GET. Recursion on `*` is bounded by a nesting budget as Redis bounds it.
 */

export function globMatch(
  pattern: Uint8Array, poff: number, plen: number,
  text: Uint8Array, toff: number, tlen: number,
  nocase: boolean,
): boolean {
  const skipLongerMatches = { value: false };
  return matchImpl(pattern, poff, poff + plen, text, toff, toff + tlen, nocase, skipLongerMatches, 0);
}

function lower(ch: number): number {
  return ch >= 65 && ch <= 90 ? ch | 0x20 : ch;
}

function matchImpl(
  pat: Uint8Array, p: number, pend: number,
  str: Uint8Array, s: number, send: number,
  nocase: boolean, skipLongerMatches: { value: boolean }, nesting: number,
): boolean {
  if (nesting > 1000) return false;
  while (p < pend && s < send) {
    switch (pat[p]) {
      case 42: { // '*'
        while (p + 1 < pend && pat[p + 1] === 42) p++;
        if (p + 1 === pend) return true;
        while (s < send) {
          if (matchImpl(pat, p + 1, pend, str, s, send, nocase, skipLongerMatches, nesting + 1)) return true;
          if (skipLongerMatches.value) return false;
          s++;
        }
        skipLongerMatches.value = true;
        return false;
      }
      case 63: // '?'
        s++;
        break;
      case 91: { // '['
        p++;
        const not = pat[p] === 94;
        if (not) p++;
        let match = false;
        for (;;) {
          if (p < pend && pat[p] === 92 && pend - p >= 2) {
            p++;
            if (pat[p] === str[s]) match = true;
          } else if (p >= pend || pat[p] === 93) {
            break;
          } else if (pend - p >= 3 && pat[p + 1] === 45) {
            let start = pat[p];
            let end = pat[p + 2];
            let c = str[s];
            if (start > end) {
              const t = start;
              start = end;
              end = t;
            }
            if (nocase) {
              start = lower(start);
              end = lower(end);
              c = lower(c);
            }
            p += 2;
            if (c >= start && c <= end) match = true;
          } else if (nocase ? lower(pat[p]) === lower(str[s]) : pat[p] === str[s]) {
            match = true;
          }
          p++;
        }
        if (p >= pend) p--; // a class missing its ']' ends the pattern, as in Redis
        if (not) match = !match;
        if (!match) return false;
        s++;
        break;
      }
      case 92: // '\\'
        if (pend - p >= 2) p++;
      // falls through
      default:
        if (nocase ? lower(pat[p]) !== lower(str[s]) : pat[p] !== str[s]) return false;
        s++;
        break;
    }
    p++;
    if (s === send) {
      while (p < pend && pat[p] === 42) p++;
      break;
    }
  }
  return p === pend && s === send;
}

/** Convenience for control-plane callers holding strings (CONFIG GET, COMMAND LIST). */
export function globMatchString(pattern: string, text: string, nocase: boolean): boolean {
  const p = Buffer.from(pattern);
  const t = Buffer.from(text);
  return globMatch(p, 0, p.length, t, 0, t.length, nocase);
}
