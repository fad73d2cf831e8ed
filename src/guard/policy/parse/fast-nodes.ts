/**
 * Hand-built fast-path nodes: the commonest tools entries read without the `yaml` library, into the nodes it would build.
 *
 * Why: most entries are a key and a few `key: scalar` lines (action, reason, approval_timeout), and the library is the
 * bulk of a full parse. Those are read here directly into the same nodes (values, types and ranges); anything else — flow
 * collections beyond one line of `key: plain` pairs, nesting, block scalars, escapes, comments inside quotes, tabs, CR,
 * numbers other than plain digits, words YAML reads as null or booleans — goes to the library.
 */
import { Pair, Scalar, YAMLMap, type Document } from 'yaml';
import { LineIndex } from './lines';
import type { Piece } from './read-yaml';

/** A tool name or glob, optionally with a label of plain words in parentheses (`execute_method (no unlink)`), plain or double-quoted. */
const FAST_ENTRY_KEY =
  /^([A-Za-z_][A-Za-z0-9_.*?-]*(?: +\([A-Za-z0-9_.,/+=-]+(?: [A-Za-z0-9_.,/+=-]+)*\))?|"[A-Za-z0-9_.*?-]+(?: +\([A-Za-z0-9_.,/+=-]+(?: [A-Za-z0-9_.,/+=-]+)*\))?")(:)( +#.*)? *$/;
const FAST_BODY_LINE = /^( +)([A-Za-z_][A-Za-z0-9_-]*):( +)(.*?)( +#.*)? *$/;
const YAML_WORDS = /^(?:null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;
/** Printable text without YAML indicators that matter in a value, quotes, escapes or odd line breaks. */
const FAST_PLAIN = /^[A-Za-z_][^\u0000-\u001f\u007f-\u00a0\u2028\u2029\ufeff#:{}[\],"'`\\]*$/;
const FAST_DOUBLE_QUOTED = /^"[^\u0000-\u001f\u007f-\u00a0\u2028\u2029\ufeff"\\]*"$/;
const FAST_SINGLE_QUOTED = /^'[^\u0000-\u001f\u007f-\u00a0\u2028\u2029\ufeff']*'$/;
const FAST_FLOW_ITEM = /^( *)([A-Za-z_][A-Za-z0-9_-]*): +([^ '"](?:.*[^ ])?)( *)$/;

function fastScalar(raw: string, start: number, nodeEnd: number): Scalar | undefined {
  let value: unknown;
  let type: Scalar.Type;
  const c = raw.charCodeAt(0);
  if (c === 34 /* " */ || c === 39 /* ' */) {
    if (!(c === 34 ? FAST_DOUBLE_QUOTED : FAST_SINGLE_QUOTED).test(raw)) return undefined;
    value = raw.slice(1, -1);
    type = c === 34 ? 'QUOTE_DOUBLE' : 'QUOTE_SINGLE';
  } else if (/^[0-9]{1,15}$/.test(raw)) {
    value = Number(raw);
    type = 'PLAIN';
  } else if (FAST_PLAIN.test(raw) && !YAML_WORDS.test(raw) && !/\s$/.test(raw)) {
    value = raw;
    type = 'PLAIN';
  } else return undefined;
  const node = new Scalar(value);
  node.type = type;
  node.range = [start, start + raw.length, nodeEnd];
  return node;
}

/** A one-line flow mapping of `key: plain` pairs, e.g. `{ max: 10, window: 60 }`. */
function fastFlowMap(raw: string, start: number, nodeEnd: number): YAMLMap | undefined {
  const fm = /^\{( *)(.*?)( *)\}$/.exec(raw);
  if (!fm || fm[2] === '') return undefined;
  const map = new YAMLMap();
  map.flow = true;
  map.range = [start, start + raw.length, nodeEnd];
  const seen = new Set<string>();
  let pos = start + 1 + fm[1]!.length;
  for (const part of fm[2]!.split(',')) {
    const m = FAST_FLOW_ITEM.exec(part);
    if (!m) return undefined;
    const name = m[2]!;
    if (seen.has(name) || YAML_WORDS.test(name)) return undefined;
    seen.add(name);
    const keyAt = pos + m[1]!.length;
    const k = new Scalar(name);
    k.type = 'PLAIN';
    k.range = [keyAt, keyAt + name.length, keyAt + name.length];
    const valueAt = keyAt + name.length + 1 + (part.length - m[1]!.length - name.length - 1 - m[3]!.length - m[4]!.length);
    const v = fastScalar(m[3]!, valueAt, valueAt + m[3]!.length);
    if (!v) return undefined;
    map.items.push(new Pair(k, v));
    pos += part.length + 1;
  }
  return map;
}

/**
 * An entry of the simple kind read without the YAML library, or undefined to let the library read it.
 * Its nodes belong to `doc`, an empty document the caller provides (one per parse serves every entry):
 * it is what the checks read a collection's plain value through (`Checker.toJS`).
 */
export function fastEntryPiece(text: string, indent: number, doc: Document): Piece | undefined {
  if (text.includes('\r') || text.includes('\t')) return undefined;
  const lines = new LineIndex(text);
  const starts = lines.starts;
  const first = lines.line(0);
  if (first.length <= indent || first.charCodeAt(indent) === 32) return undefined;
  const km = FAST_ENTRY_KEY.exec(first.slice(indent));
  if (!km) return undefined;
  const rawKey = km[1]!;
  const quoted = rawKey.charCodeAt(0) === 34;
  const keyValue = quoted ? rawKey.slice(1, -1) : rawKey;
  if (!quoted && YAML_WORDS.test(keyValue)) return undefined;
  const keyNode = new Scalar(keyValue);
  keyNode.type = quoted ? 'QUOTE_DOUBLE' : 'PLAIN';
  keyNode.range = [indent, indent + rawKey.length, indent + rawKey.length];

  const inner = new YAMLMap();
  const seen = new Set<string>();
  let bodyIndent = -1;
  let firstKeyAt = -1;
  let contentEnd = -1;
  for (let l = 1; l < starts.length; l++) {
    const line = lines.line(l);
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) {
      // YAML counts a comment indented deeper than the keys as part of the value before it (its node
      // then ends after the comment): leave such an entry to the library.
      if (trimmed !== '' && bodyIndent >= 0 && line.length - trimmed.length > bodyIndent) return undefined;
      continue;
    }
    const m = FAST_BODY_LINE.exec(line);
    if (!m) return undefined;
    const ind = m[1]!.length;
    if (bodyIndent < 0) {
      if (ind <= indent) return undefined;
      bodyIndent = ind;
    } else if (ind !== bodyIndent) return undefined;
    const name = m[2]!;
    if (seen.has(name) || YAML_WORDS.test(name)) return undefined;
    seen.add(name);
    const lineStart = starts[l]!;
    const keyAt = lineStart + ind;
    const nextLine = starts[l + 1] ?? text.length;
    const k = new Scalar(name);
    k.type = 'PLAIN';
    k.range = [keyAt, keyAt + name.length, keyAt + name.length];
    const valueAt = keyAt + name.length + 1 + m[3]!.length;
    const v = m[4]!.charCodeAt(0) === 123 /* { */ ? fastFlowMap(m[4]!, valueAt, nextLine) : fastScalar(m[4]!, valueAt, nextLine);
    if (!v) return undefined;
    inner.items.push(new Pair(k, v));
    if (firstKeyAt < 0) firstKeyAt = keyAt;
    contentEnd = nextLine;
  }
  if (firstKeyAt < 0) return undefined;
  inner.range = [firstKeyAt, contentEnd, contentEnd];
  const pair = new Pair(keyNode, inner);
  const root = new YAMLMap();
  root.items.push(pair);
  root.range = [indent, contentEnd, contentEnd];
  return { doc, pair, key: keyValue, lines };
}
