/**
 * Schema checks of the `tests:` section, into `PolicyTest`s with the ranges where failures are reported.
 *
 * Why: tests are run by `mcp-guard test` and the editor, never by the guard (which skips this check), and need their own
 * keys and ranges.
 */
import { isMap, isSeq, type Node } from 'yaml';
import { ACTIONS, TEST_MODES, type Action, type PolicyTest, type TestMode } from '../model';
import { type Checker, describe, eachKnownKey, expectEnum, expectMap, expectString } from './checker';
import { TEST_KEYS } from './keys';
import { isNullNode, keyName, offsetsOf, pairNamed, type Offsets } from './yaml-nodes';

/** The `tests:` list: calls with the decision the policy must give them (run by `mcp-guard test` and the editor, never by the guard). */
export function checkTests(c: Checker, node: Node | null, at: Offsets): PolicyTest[] {
  if (isNullNode(node)) return [];
  if (!isSeq(node)) {
    c.error(
      offsetsOf(node, at),
      'wrong-type',
      `tests must be a list of tests, ` +
        `e.g. - { call: search_records, args: { model: res.partner }, expect: allow }, not ${describe(node ? c.toJS(node) : null)}`,
    );
    return [];
  }
  const out: PolicyTest[] = [];
  const listAt = offsetsOf(node, at);
  node.items.forEach((item, index) => {
    const itemNode = item as Node;
    const map = expectMap(c, itemNode, listAt, 'Each test');
    if (!map) return;
    const raw = offsetsOf(map, listAt);
    const text = c.at.lines.text;
    let end = raw[1];
    while (end > raw[0] && /\s/.test(text[end - 1]!)) end--;
    const itemAt: Offsets = [raw[0], end];
    let ok = true;
    let call: string | undefined;
    let callAt: Offsets | undefined;
    let args: Record<string, unknown> = {};
    let expect: Action | undefined;
    let expectAt: Offsets | undefined;
    let mode: TestMode = 'enforce';
    let name: string | undefined;
    for (const pair of map.items) {
      if (keyName(pair) === undefined || !(TEST_KEYS as readonly string[]).includes(keyName(pair)!)) ok = false;
    }
    eachKnownKey(c, map, TEST_KEYS, 'in a test', (key, value, keyAt) => {
      switch (key) {
        case 'call':
          call = expectString(c, value, keyAt, 'call (the tool name)');
          callAt = offsetsOf(value, keyAt);
          ok &&= call !== undefined;
          break;
        case 'args':
          if (isNullNode(value)) args = {};
          else if (isMap(value)) args = c.toJS(value) as Record<string, unknown>;
          else {
            c.error(
              offsetsOf(value, keyAt),
              'wrong-type',
              `args must be a mapping of argument names to values, ` +
                `e.g. { model: res.partner }, not ${describe(value ? c.toJS(value) : null)}`,
            );
            ok = false;
          }
          break;
        case 'expect':
          expect = expectEnum(c, value, keyAt, ACTIONS, 'expect', 'bad-action');
          expectAt = offsetsOf(value, keyAt);
          ok &&= expect !== undefined;
          break;
        case 'mode': {
          const m = expectEnum(c, value, keyAt, TEST_MODES, 'mode', 'bad-mode');
          if (m) mode = m;
          else ok = false;
          break;
        }
        case 'name':
          name = expectString(c, value, keyAt, 'name');
          ok &&= name !== undefined;
          break;
      }
    });
    if (pairNamed(map, 'call') === undefined) {
      c.error(itemAt, 'missing-key', 'A test needs call: the name of the tool it calls');
      ok = false;
    }
    if (pairNamed(map, 'expect') === undefined) {
      c.error(itemAt, 'missing-key', 'A test needs expect: allow, deny or require_approval');
      ok = false;
    }
    if (!ok || call === undefined || expect === undefined || callAt === undefined || expectAt === undefined) return;
    out.push({
      index,
      ...(name !== undefined ? { name } : {}),
      call,
      args,
      expect,
      mode,
      range: c.range(itemAt),
      callRange: c.range(callAt),
      expectRange: c.range(expectAt),
    });
  });
  return out;
}
