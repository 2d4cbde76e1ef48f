/*
 * Redis's sdssplitargs (sds.c) over a string: the words of a config-file line or a script's
 * "#!" line, with Redis's quoting rules. Request parsing splits inline commands over bytes in
 * protocol/parser.ts instead.
 */

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** Redis's sdssplitargs: blanks separate arguments; "..." with \n \r \t \b \a \xHH escapes; '...' with \'. Null on unbalanced quotes. */
export function splitArgs(line: string): string[] | null {
  const out: string[] = [];
  let p = 0;
  const at = (i: number): string => (i < line.length ? line[i]! : '\0');
  for (;;) {
    while (p < line.length && isSpace(line.charCodeAt(p))) p++;
    if (p >= line.length) return out;
    let cur = '';
    let inq = false;
    let insq = false;
    for (let done = false; !done;) {
      const c = at(p);
      if (inq) {
        if (c === '\\' && at(p + 1) === 'x' && /^[0-9a-fA-F]{2}$/.test(at(p + 2) + at(p + 3))) {
          cur += String.fromCharCode(parseInt(at(p + 2) + at(p + 3), 16));
          p += 3;
        } else if (c === '\\' && p + 1 < line.length) {
          p++;
          const e = at(p);
          cur += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e;
        } else if (c === '"') {
          if (p + 1 < line.length && !isSpace(line.charCodeAt(p + 1))) return null;
          done = true;
        } else if (p >= line.length) {
          return null;
        } else {
          cur += c;
        }
      } else if (insq) {
        if (c === '\\' && at(p + 1) === "'") {
          p++;
          cur += "'";
        } else if (c === "'") {
          if (p + 1 < line.length && !isSpace(line.charCodeAt(p + 1))) return null;
          done = true;
        } else if (p >= line.length) {
          return null;
        } else {
          cur += c;
        }
      } else if (c === ' ' || c === '\n' || c === '\r' || c === '\t' || p >= line.length) {
        done = true;
      } else if (c === '"') {
        inq = true;
      } else if (c === "'") {
        insq = true;
      } else {
        cur += c;
      }
      if (p < line.length) p++;
    }
    out.push(cur);
  }
}
