/**
 * The one spelling of a resource URI that the guard decides on and forwards.
 *
 * Servers do not compare URIs as raw text: the MCP TypeScript SDK's `McpServer` looks resources up
 * by `new URL(uri).toString()`, and Python servers parse them with pydantic's `AnyUrl` (the Rust
 * `url` crate); both follow the WHATWG URL standard, which lower-cases the scheme, strips leading
 * and trailing spaces and controls, deletes tabs and newlines anywhere, and resolves `.`/`..` path
 * segments (`%2e` counts as a dot). A glob written for `odoo://record/*` must therefore see what
 * such a server will see, and the server must get exactly the URI the glob saw. On top of WHATWG,
 * percent-escapes of unreserved characters are decoded and the others upper-cased (RFC 3986,
 * 6.2.2: these spellings are equivalent), so `res%2Epartner` cannot slip past `res.partner`.
 */

/** Longer URIs are refused: no real resource URI comes near it, and it bounds every match and cache key. */
export const MAX_URI_LENGTH = 8192;

export type NormalisedUri = { readonly ok: true; readonly uri: string } | { readonly ok: false; readonly reason: string };

// Leading and trailing C0 controls and spaces are what WHATWG strips before parsing.
const EDGE = /^[\x00-\x20]+|[\x00-\x20]+$/g;
const TAB_OR_NEWLINE = /[\t\n\r]/;
const CONTROL = /[\x00-\x1f\x7f]/;
const ESCAPE = /%[0-9A-Fa-f]{2}/g;
const UNRESERVED = /[A-Za-z0-9\-._~]/;

function tidyEscape(escape: string): string {
  const ch = String.fromCharCode(parseInt(escape.slice(1), 16));
  return UNRESERVED.test(ch) ? ch : escape.toUpperCase();
}

function parse(text: string): string | undefined {
  try {
    return new URL(text).href;
  } catch {
    return undefined;
  }
}

/** The URI as a WHATWG parser reads it, with equivalent escapes folded; or why it is refused. */
export function normaliseResourceUri(raw: string): NormalisedUri {
  if (raw.length > MAX_URI_LENGTH)
    return { ok: false, reason: `the URI is ${raw.length} characters long, over MCP Guard's limit of ${MAX_URI_LENGTH}` };
  // Refused rather than deleted as WHATWG would: no real URI has them, and a client that sends
  // one is more likely probing for a reader that treats them differently.
  if (TAB_OR_NEWLINE.test(raw)) return { ok: false, reason: 'the URI contains a tab or a line break' };
  const trimmed = raw.replace(EDGE, '');
  if (CONTROL.test(trimmed)) return { ok: false, reason: 'the URI contains a control character' };
  let uri = parse(trimmed);
  if (uri === undefined) return { ok: false, reason: 'the text is not a URI with a scheme that a URL parser accepts' };
  // Decoding can make a new dot segment (`.%2E` was one already; `%2E` next to a decoded `.` not),
  // so parse again until the spelling is stable; a URI that keeps changing is refused.
  for (let round = 0; round < 3; round++) {
    const folded = uri.replace(ESCAPE, tidyEscape);
    if (folded === uri)
      return uri.length > MAX_URI_LENGTH
        ? { ok: false, reason: `the URI is over MCP Guard's limit of ${MAX_URI_LENGTH} characters` }
        : { ok: true, uri };
    const again = parse(folded);
    if (again === undefined) return { ok: false, reason: 'the URI does not parse once its escapes are decoded' };
    uri = again;
  }
  return { ok: false, reason: 'the URI has no stable spelling' };
}
