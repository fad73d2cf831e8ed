import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { canonicalJson, canonicalJsonOfParsed } from '../../src/guard/canonical-json';
import { changedParts, definitionOf, fingerprint, schemaChanges } from '../../src/guard/pins/fingerprint';
import { duplicateKey, parsePins, pinsOf, serialisePins } from '../../src/guard/pins/pins-file';
import { pinChanges } from '../../src/cli/pin';
import { listedDefinitions, ToolTrust } from '../../src/guard/pins/trust';

const FIXTURE = JSON.parse(readFileSync(`${__dirname}/../fixtures/odoo-tools.json`, 'utf8')).tools as Record<string, unknown>[];

const tool = (name: string, description: string, props: Record<string, unknown> = { model: { type: 'string' } }, required = ['model']) => ({
  name,
  description,
  inputSchema: { type: 'object', properties: props, required },
});

describe('pins: fingerprints of tool definitions', () => {
  it('canonicalJsonOfParsed (the fast form) writes exactly what canonicalJson writes, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => canonicalJsonOfParsed(v) === canonicalJson(v)),
      { numRuns: 500 },
    );
    const awkward = JSON.parse('{"b":{"10":1,"2":2,"a":3},"__proto__":{"x":1},"a":[{"z":1,"y":null}]}');
    assert.equal(canonicalJsonOfParsed(awkward), canonicalJson(awkward));
    assert.equal(canonicalJsonOfParsed(awkward), '{"__proto__":{"x":1},"a":[{"y":null,"z":1}],"b":{"10":1,"2":2,"a":3}}');
    let deep: unknown = 'x';
    for (let i = 0; i < 20_000; i++) deep = { k: deep };
    assert.equal(canonicalJsonOfParsed(deep), canonicalJson(deep), 'deeper than the native stack');
    for (const item of FIXTURE) assert.equal(canonicalJsonOfParsed(item), canonicalJson(item));
  });

  it('hashes the canonical JSON: key order does not matter, every pinned part and the name do', () => {
    const a = { name: 't', description: 'd', inputSchema: { type: 'object', properties: { x: { type: 'string' } } } };
    const b = { inputSchema: { properties: { x: { type: 'string' } }, type: 'object' }, description: 'd', name: 't' };
    assert.equal(fingerprint('t', definitionOf(a)), fingerprint('t', definitionOf(b)));
    assert.match(fingerprint('t', definitionOf(a)), /^sha256:[0-9a-f]{64}$/);
    assert.notEqual(fingerprint('t', definitionOf(a)), fingerprint('u', definitionOf(a)), 'a pin cannot move to another tool');
    for (const part of ['title', 'description', 'inputSchema', 'outputSchema', 'annotations']) {
      const changed = { ...a, [part]: { other: true } };
      assert.notEqual(fingerprint('t', definitionOf(changed)), fingerprint('t', definitionOf(a)), part);
      assert.deepEqual(changedParts(definitionOf(a), definitionOf(changed)), [part]);
    }
    // Absent and null are different definitions, and said to differ.
    const withNull = { ...a, title: null };
    assert.notEqual(fingerprint('t', definitionOf(withNull)), fingerprint('t', definitionOf(a)));
    assert.deepEqual(changedParts(definitionOf(a), definitionOf(withNull)), ['title']);
    // Fields outside the definition (e.g. _meta) are not pinned.
    assert.equal(fingerprint('t', definitionOf({ ...a, _meta: { x: 1 } })), fingerprint('t', definitionOf(a)));
  });

  it('says what changed in a schema: properties added, removed, changed, required, other keywords', () => {
    const before = tool('t', 'd', { model: { type: 'string' }, limit: { type: 'integer' } }, ['model']).inputSchema;
    const after = {
      ...tool('t', 'd', { model: { type: 'string', enum: ['a'] }, force: { type: 'boolean' } }, ['model', 'force']).inputSchema,
      additionalProperties: false,
    };
    assert.deepEqual(schemaChanges(before, after), [
      'properties added: force',
      'properties removed: limit',
      'properties changed: model',
      'now required: force',
      'other keywords changed',
    ]);
    assert.deepEqual(schemaChanges(before, before), []);
    assert.deepEqual(schemaChanges(undefined, before), ['schema added']);
  });
});

describe('pins: the pins file', () => {
  const pins = pinsOf('odoo-mcp', listedDefinitions(FIXTURE));

  it('round-trips: written with sorted keys and a fingerprint per tool, read back to the same pins', () => {
    const text = serialisePins(pins);
    const read = parsePins(text);
    assert.ok(read.ok, read.ok ? '' : read.error);
    assert.equal(read.pins.tools.size, FIXTURE.length);
    assert.equal(serialisePins(read.pins), text, 'the same pins give the same file');
    const raw = JSON.parse(text);
    assert.deepEqual(Object.keys(raw), ['version', 'server', 'tools']);
    assert.equal(raw.version, 1);
    assert.deepEqual(Object.keys(raw.tools), [...Object.keys(raw.tools)].sort());
  });

  it('refuses, with what to do, a file that is not JSON, of another version, or with a pin edited by hand', () => {
    const bad = (text: string, pattern: RegExp) => {
      const r = parsePins(text);
      assert.equal(r.ok, false, text.slice(0, 60));
      assert.match(r.ok ? '' : r.error, pattern);
      assert.match(r.ok ? '' : r.error, /mcp-guard pin --pins FILE/);
    };
    bad('{', /not valid JSON/);
    bad('[]', /not a JSON object/);
    bad('{"version":2,"server":"s","tools":{}}', /version is 2/);
    bad('{"version":1,"server":"s","tools":[]}', /"tools" must be an object/);
    bad('{"version":1,"server":"s","tools":{},"extra":1}', /unknown key "extra"/);
    const raw = JSON.parse(serialisePins(pins));
    raw.tools.search_records.definition.description = 'Search records (and also delete them).';
    bad(JSON.stringify(raw), /the pin of "search_records" does not match its definition/);
    const extraPart = JSON.parse(serialisePins(pins));
    extraPart.tools.search_records.definition.icons = [];
    bad(JSON.stringify(extraPart), /unknown definition part "icons"/);
  });
});

describe('pins: a pins file means one thing', () => {
  it('refuses a key that appears twice in one object, however it is spelled', () => {
    assert.equal(duplicateKey('{"a":1,"b":{"a":2},"c":[{"a":1},{"a":2}]}'), undefined);
    assert.deepEqual(duplicateKey('{"a":1,"\\u0061":2}'), { key: 'a', path: '(top level)' });
    assert.deepEqual(duplicateKey('{"tools":{"x":{"definition":{"description":"one","description":"two"}}}}'), {
      key: 'description',
      path: '.tools.x.definition',
    });
    assert.deepEqual(duplicateKey('{"l":[{"k":"\\"{:","k":1}]}'), { key: 'k', path: '.l[]' });
    const pins = pinsOf('s', listedDefinitions([{ name: 't', description: 'Reads.' }]));
    const text = serialisePins(pins).replace('"t": {', '"t": {"fingerprint": "sha256:00", "definition": {}}, "t": {');
    const r = parsePins(text);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.error, /the key "t" appears twice in \.tools, so the file could be read two ways/);
  });

  it('pin says what changed since the file was last written', () => {
    const before = pinsOf(
      's',
      listedDefinitions([
        { name: 'a', description: 'A.' },
        { name: 'b', description: 'B.' },
      ]),
    );
    const after = pinsOf(
      's',
      listedDefinitions([
        { name: 'a', description: 'A!' },
        { name: 'c', description: 'C.' },
      ]),
    );
    assert.deepEqual(pinChanges(before, after), ['  changed: a (description)', '  new: c', '  removed: b']);
    assert.deepEqual(pinChanges(before, before), []);
    assert.deepEqual(pinChanges(undefined, after), []);
  });
});

describe('pins: which definitions are trusted', () => {
  const v1 = [tool('search', 'Search records.'), tool('write', 'Write a record.')];
  const changedWrite = tool('write', 'Write a record. Also deletes.', { model: { type: 'string' }, force: { type: 'boolean' } }, [
    'model',
    'force',
  ]);

  it('on first use: the first definitions are trusted; a change is not, and says what changed', () => {
    const trust = new ToolTrust({ kind: 'session' });
    assert.deepEqual(trust.observe(listedDefinitions(v1)), []);
    trust.seal();
    assert.equal(trust.check('write'), undefined);
    const news = trust.observe(listedDefinitions([v1[0], changedWrite]));
    assert.deepEqual(
      news.map((n) => [n.tool, n.change, n.parts]),
      [['write', 'changed', ['description', 'input schema']]],
    );
    assert.deepEqual(trust.observe(listedDefinitions([v1[0], changedWrite])), [], 'reported once');
    const u = trust.check('write');
    assert.equal(u?.why, 'changed');
    assert.match(
      u!.reason,
      /changed the definition of write after this session first listed it: description, input schema changed \(input schema: properties added: force; input schema: now required: force\)/,
    );
    assert.equal(u!.change?.oldDescription, 'Write a record.');
    assert.equal(u!.change?.newDescription, 'Write a record. Also deletes.');
    assert.equal(trust.check('search'), undefined);
  });

  it('a tool changed back is trusted again; removed then re-added changed is not', () => {
    const trust = new ToolTrust({ kind: 'session' });
    trust.observe(listedDefinitions(v1));
    trust.seal();
    trust.observe(listedDefinitions([v1[0]]));
    trust.observe(listedDefinitions([v1[0], changedWrite]));
    assert.equal(trust.check('write')?.why, 'changed');
    trust.observe(listedDefinitions(v1));
    assert.equal(trust.check('write'), undefined);
  });

  it('before the first list is sealed, the first definition seen wins; after, a new tool (a case variant too) needs a person', () => {
    const trust = new ToolTrust({ kind: 'session' });
    trust.observe(listedDefinitions(v1));
    trust.observe(listedDefinitions([changedWrite]));
    assert.equal(trust.check('write')?.why, 'changed');
    trust.seal();
    trust.observe(listedDefinitions([tool('Search', 'Search records.')]));
    const u = trust.check('Search');
    assert.equal(u?.why, 'new');
    assert.match(u!.reason, /differs only in case from search, which is trusted/);
  });

  it("the client's first list ends trust on first use at its last page, or at the 100th of a list that never ends", () => {
    const paged = new ToolTrust({ kind: 'session' });
    paged.observe(listedDefinitions([v1[0]!]));
    paged.clientPageSeen(false);
    paged.observe(listedDefinitions([v1[1]!]));
    assert.equal(paged.check('write'), undefined, 'the second page of the first list is still first use');
    paged.clientPageSeen(true);
    paged.observe(listedDefinitions([tool('late', 'Added later.')]));
    assert.equal(paged.check('late')?.why, 'new');
    const endless = new ToolTrust({ kind: 'session' });
    for (let i = 0; i < 100; i++) endless.clientPageSeen(false);
    endless.observe(listedDefinitions([tool('late', 'Added on page 101.')]));
    assert.equal(endless.check('late')?.why, 'new');
  });

  it('a call is classified by the annotations the server listed last', () => {
    const trust = new ToolTrust({ kind: 'session' });
    trust.observe(listedDefinitions([{ ...v1[1]!, annotations: { readOnlyHint: true } }]));
    trust.observe(listedDefinitions([{ ...v1[1]!, annotations: { destructiveHint: true } }]));
    assert.deepEqual(trust.latestAnnotations('write'), { destructiveHint: true });
    assert.equal(trust.latestAnnotations('search'), undefined);
  });

  it('two tools of one name: neither is callable and nobody is asked', () => {
    const trust = new ToolTrust({ kind: 'session' });
    const news = trust.observe(listedDefinitions([...v1, tool('search', 'Other.')]));
    assert.deepEqual(
      news.map((n) => [n.tool, n.change]),
      [['search', 'duplicate']],
    );
    const u = trust.check('search');
    assert.equal(u?.why, 'duplicate');
    assert.equal(u?.change, undefined);
  });

  it('with pins: an unpinned or changed tool is not trusted until accepted, and the pins then include it', () => {
    const trust = new ToolTrust({ kind: 'pins', path: 'pins.json', pins: pinsOf('s', listedDefinitions([v1[0]!])) });
    trust.observe(listedDefinitions(v1));
    const u = trust.check('write');
    assert.equal(u?.why, 'new');
    assert.match(u!.reason, /write is not in the pins file pins\.json/);
    assert.equal(trust.accept('write', 'sha256:00'), false, 'only the definition shown can be accepted');
    assert.equal(trust.accept('write', u!.change!.fingerprint), true);
    assert.equal(trust.check('write'), undefined);
    assert.deepEqual([...trust.pinsNow()!.tools.keys()], ['search', 'write']);
  });

  it('an unreadable pins file trusts nothing and says how to fix it', () => {
    const trust = new ToolTrust({ kind: 'unreadable', path: 'pins.json', error: 'it is not valid JSON' });
    trust.observe(listedDefinitions(v1));
    const u = trust.check('search');
    assert.equal(u?.why, 'pins_unreadable');
    assert.equal(u?.change, undefined);
    assert.match(u!.reason, /cannot use the pins file pins\.json \(it is not valid JSON\).*mcp-guard pin/);
  });
});
