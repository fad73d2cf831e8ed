import type { NamePattern } from './model';

export function isGlob(source: string): boolean {
  return source.includes('*') || source.includes('?');
}

/** `*` matches any run of characters (also none), `?` exactly one; everything else is literal. */
export function globToRegExp(glob: string): RegExp {
  let body = '';
  for (const ch of glob) {
    if (ch === '*') body += '.*';
    else if (ch === '?') body += '.';
    else body += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${body}$`, 'su');
}

export function compileNamePattern(source: string): NamePattern {
  if (!isGlob(source)) return { source, isGlob: false, test: (name) => name === source };
  const re = globToRegExp(source);
  return { source, isGlob: true, test: (name) => re.test(name) };
}
