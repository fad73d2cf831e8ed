/**
 * Whether one name pattern matches every name another one matches (patterns are exact names
 * or globs with `*` and `?`, as under tools and hide).
 */

/** Runs of wildcards in a canonical order (`?` first, one `*` at most): `*?*` becomes `?*`. */
function normalize(glob: string): string {
  if (!/[*?]{2}/.test(glob)) return glob;
  return glob.replace(/[*?]{2,}/g, (run) => '?'.repeat(run.split('').filter((c) => c === '?').length) + (run.includes('*') ? '*' : ''));
}

/**
 * True only when every name `inner` matches is also matched by `outer` (sound: never true
 * when some name is matched by inner alone). Each symbol of `inner` must be covered by a
 * symbol of `outer`: a letter by the same letter, `?` or `*`; a `?` by `?` or `*`; a `*` only
 * by `*`. Rare equivalent pairs it cannot prove are answered false.
 */
export function globCovers(outer: string, inner: string): boolean {
  if (outer === inner) return true;
  if (!outer.includes('*') && !outer.includes('?')) return false;
  const o = normalize(outer);
  const n = normalize(inner);
  // A literal prefix of outer must begin inner too (a quick no for most pairs).
  const cut = o.search(/[*?]/);
  if (cut > 0 && !n.startsWith(o.slice(0, cut))) return false;
  // memo[i][j]: outer from i covers inner from j.
  const memo = new Map<number, boolean>();
  const width = n.length + 1;
  const go = (i: number, j: number): boolean => {
    const k = i * width + j;
    const m = memo.get(k);
    if (m !== undefined) return m;
    let r: boolean;
    if (i === o.length) r = j === n.length;
    else if (o[i] === '*') r = go(i + 1, j) || (j < n.length && go(i, j + 1));
    else if (j === n.length) r = false;
    else if (o[i] === '?') r = n[j] !== '*' && go(i + 1, j + 1);
    else r = n[j] === o[i] && go(i + 1, j + 1);
    memo.set(k, r);
    return r;
  };
  return go(0, 0);
}
