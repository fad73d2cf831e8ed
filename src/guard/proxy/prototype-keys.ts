/**
 * Keys that mean something else to a server than to the policy. `JSON.parse` makes `__proto__`
 * an ordinary own key, so a `when` on `args.model` does not see `{"__proto__": {"model": …}}`;
 * but a server that copies arguments with `Object.assign`-style code or `obj[key] = value` turns
 * it into the copy's prototype, and then reads `model` through it. `constructor` and `prototype`
 * reach the same objects by another path (`constructor.prototype`). Calls carrying them are denied
 * rather than interpreted: no real tool argument is named so.
 */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** False only when the raw text cannot hold such a key: none appears literally and there is no `\u` escape. */
export function mayHavePrototypeKey(text: string): boolean {
  return text.includes('\\u') || text.includes('__proto__') || text.includes('constructor') || text.includes('prototype');
}

/** The first such key in a parsed JSON value, with its dot path from `args`; iterative, so any depth is safe. */
export function findPrototypeKey(value: unknown, root = 'args'): { key: string; path: string } | undefined {
  const stack: { value: unknown; path: string }[] = [{ value, path: root }];
  while (stack.length > 0) {
    const { value: v, path } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: `${path}.${i}` });
      continue;
    }
    for (const key of Object.keys(v)) {
      if (PROTOTYPE_KEYS.has(key)) return { key, path: `${path}.${key}` };
      stack.push({ value: (v as Record<string, unknown>)[key], path: `${path}.${key}` });
    }
  }
  return undefined;
}
