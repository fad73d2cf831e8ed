/**
 * The pins file: the fingerprint and the definition of each tool a person trusted, as JSON meant to
 * sit beside the policy and be committed. Version 1:
 *
 *   { "version": 1, "server": "odoo-mcp", "tools": { "NAME": { "fingerprint": "sha256:HEX", "definition": {...} } } }
 *
 * The definition is kept (not only its hash) so the guard can say what changed (description, input
 * schema, ...) and the editor can show the old text next to the new. Reading checks every fingerprint
 * against its definition: a pin edited by hand so they disagree is an error, never a silent trust.
 */
import { isPlainObject } from '../util/json';
import { DEFINITION_PARTS, fingerprint, type PinnedDefinition } from './fingerprint';

export const PINS_VERSION = 1;

export interface Pin {
  readonly fingerprint: string;
  readonly definition: PinnedDefinition;
}

export interface PinsFile {
  readonly version: typeof PINS_VERSION;
  /** The server the pins were taken from (`--name`); informative, not enforced. */
  readonly server: string;
  readonly tools: ReadonlyMap<string, Pin>;
}

export type PinsReading = { readonly ok: true; readonly pins: PinsFile } | { readonly ok: false; readonly error: string };

/** The pins of a tool list, each definition fingerprinted. */
export function pinsOf(server: string, tools: readonly { readonly name: string; readonly definition: PinnedDefinition }[]): PinsFile {
  const map = new Map<string, Pin>();
  for (const t of [...tools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)))
    map.set(t.name, { fingerprint: fingerprint(t.name, t.definition), definition: t.definition });
  return { version: PINS_VERSION, server, tools: map };
}

/** Keys sorted at every level, so the same pins always give the same file (and a small git diff). */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort())
    if (value[k] !== undefined)
      Object.defineProperty(out, k, { value: sorted(value[k]), enumerable: true, writable: true, configurable: true });
  return out;
}

/** The file's text: indented JSON, tools by name, keys sorted, a final newline. */
export function serialisePins(pins: PinsFile): string {
  const tools: Record<string, unknown> = {};
  for (const name of [...pins.tools.keys()].sort()) {
    const pin = pins.tools.get(name)!;
    Object.defineProperty(tools, name, {
      value: { fingerprint: pin.fingerprint, definition: sorted(pin.definition) },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return `${JSON.stringify({ version: pins.version, server: pins.server, tools }, null, 2)}\n`;
}

const REWRITE = 'write it again with `mcp-guard pin --pins FILE -- COMMAND ARGS`';

/**
 * The first key that appears twice in one object of the JSON text, decoded (`"a"` and `"\u0061"`
 * are one key), with the path of its object. JSON.parse keeps the last of them silently, while a
 * person reviewing the file may read the first: a pins file must mean one thing to both.
 * `text` must be valid JSON (checked first by JSON.parse).
 */
export function duplicateKey(text: string): { readonly key: string; readonly path: string } | undefined {
  // One frame per open object or array: an object's keys so far; `path` for the message.
  const stack: { keys: Set<string> | undefined; path: string }[] = [];
  let lastString: string | undefined;
  let lastKey = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      lastString = text.slice(i, j + 1);
      i = j;
      continue;
    }
    if (c === ':') {
      const top = stack[stack.length - 1];
      const key = JSON.parse(lastString!) as string;
      if (top?.keys?.has(key)) return { key, path: top.path };
      top?.keys?.add(key);
      lastKey = key;
    } else if (c === '{' || c === '[') {
      const parent = stack[stack.length - 1];
      const path =
        parent === undefined
          ? '(top level)'
          : parent.keys
            ? `${parent.path === '(top level)' ? '' : parent.path}.${lastKey}`
            : `${parent.path}[]`;
      stack.push({ keys: c === '{' ? new Set() : undefined, path });
    } else if (c === '}' || c === ']') stack.pop();
  }
  return undefined;
}

/** Reads a pins file's text; every problem is an error that says what to fix (the guard then trusts no tool). */
export function parsePins(text: string): PinsReading {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `it is not valid JSON (${(e as Error).message}); fix it or ${REWRITE}` };
  }
  if (!isPlainObject(raw)) return { ok: false, error: `it is not a JSON object; ${REWRITE}` };
  const twice = duplicateKey(text);
  if (twice !== undefined)
    return {
      ok: false,
      error: `the key ${JSON.stringify(twice.key)} appears twice in ${twice.path}, so the file could be read two ways; ${REWRITE}`,
    };
  if (raw['version'] !== PINS_VERSION)
    return {
      ok: false,
      error: `its version is ${JSON.stringify(raw['version'])}, and this MCP Guard reads version ${PINS_VERSION}; ${REWRITE}`,
    };
  const unknownKey = Object.keys(raw).find((k) => !['version', 'server', 'tools'].includes(k));
  if (unknownKey !== undefined) return { ok: false, error: `it has an unknown key ${JSON.stringify(unknownKey)}; remove it or ${REWRITE}` };
  if (typeof raw['server'] !== 'string') return { ok: false, error: `"server" must be a string; ${REWRITE}` };
  if (!isPlainObject(raw['tools'])) return { ok: false, error: `"tools" must be an object of tool name to pin; ${REWRITE}` };
  const tools = new Map<string, Pin>();
  for (const [name, entry] of Object.entries(raw['tools'])) {
    const where = `the pin of ${JSON.stringify(name)}`;
    if (!isPlainObject(entry) || typeof entry['fingerprint'] !== 'string' || !isPlainObject(entry['definition']))
      return { ok: false, error: `${where} needs "fingerprint" (a string) and "definition" (an object); ${REWRITE}` };
    const definition = entry['definition'];
    const extra = Object.keys(definition).find((k) => !(DEFINITION_PARTS as readonly string[]).includes(k));
    if (extra !== undefined)
      return {
        ok: false,
        error: `${where} has an unknown definition part ${JSON.stringify(extra)} (parts: ${DEFINITION_PARTS.join(', ')}); ${REWRITE}`,
      };
    const expected = fingerprint(name, definition);
    if (entry['fingerprint'] !== expected)
      return {
        ok: false,
        error: `${where} does not match its definition (fingerprint ${entry['fingerprint']}, definition hashes to ${expected}): it was edited by hand; ${REWRITE}`,
      };
    tools.set(name, { fingerprint: expected, definition });
  }
  return { ok: true, pins: { version: PINS_VERSION, server: raw['server'], tools } };
}
