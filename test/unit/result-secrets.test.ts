// src/guard/result-secrets.ts: secrets in results, found by the rules of secrets.ts and named by kind.
import { strict as assert } from 'node:assert';
import {
  MAX_SCAN_DEPTH,
  MIN_OWN_SECRET_LENGTH,
  ownSecretsFromEnv,
  ownSecretsFromHeaders,
  scanValue,
  secretMarker,
  type OwnSecret,
} from '../../src/guard/result-secrets';
import { SECRET_PATTERNS } from '../../src/guard/secrets';
import { SAMPLE_SECRETS } from '../support/sample-secrets';

const PASSWORD = 'Odoo-p4ss!word';
const OWN: OwnSecret[] = ownSecretsFromEnv({ ODOO_PASSWORD: PASSWORD });

function redacted(value: unknown, own: OwnSecret[] = []): { value: any; kinds: readonly string[]; count: number } {
  const r = scanValue(value, own, true);
  assert.equal(r.kind, 'found', `no secret found in ${JSON.stringify(value).slice(0, 80)}`);
  if (r.kind !== 'found') throw new Error('unreachable');
  return { value: r.value, kinds: r.findings.kinds, count: r.findings.count };
}

describe('result secrets: scanning answers for secrets by shape, named by kind', () => {
  for (const [kind, secret] of Object.entries(SAMPLE_SECRETS)) {
    it(`finds and redacts a ${kind} in a text, naming its kind, and flags it without changing anything`, () => {
      const value = { content: [{ type: 'text', text: `found: ${secret} (end)` }] };
      const r = redacted(value);
      assert.deepEqual(r.kinds, [kind]);
      assert.equal(r.count, 1);
      const text: string = r.value.content[0].text;
      assert.ok(text.includes(secretMarker(kind)), text);
      assert.ok(!text.includes(secret));
      assert.ok(text.startsWith('found: ') && text.endsWith(' (end)'));
      const flagged = scanValue(value, [], false);
      assert.equal(flagged.kind, 'found');
      assert.equal(flagged.kind === 'found' && flagged.value, value);
    });
  }

  it('finds the text-scope shapes too: a credential after Bearer or Basic, a URL password', () => {
    const basic = Buffer.from('odoo:s3cret-pass').toString('base64');
    const r = redacted({
      log: `GET /api Authorization: Bearer abc123def456ghi\nproxy Basic ${basic}\nsync postgres://odoo:hunter2pass@db/odoo`,
    });
    assert.deepEqual(r.kinds, ['basic-credentials', 'bearer-token', 'url-password']);
    assert.equal(
      r.value.log,
      `GET /api Authorization: Bearer ${secretMarker('bearer-token')}\nproxy Basic ${secretMarker('basic-credentials')}\nsync postgres://odoo:${secretMarker('url-password')}@db/odoo`,
    );
  });

  it('a credential after the scheme in any capitals (BeArEr, tOkEn) is found, as an HTTP server would read it', () => {
    for (const scheme of ['BeArEr', 'bEARER', 'tOkEn', 'TOKEN']) {
      const r = redacted({ log: `Authorization: ${scheme} abc123def456ghi` });
      assert.deepEqual(r.kinds, ['bearer-token'], scheme);
      assert.equal(r.value.log, `Authorization: ${scheme} ${secretMarker('bearer-token')}`, scheme);
    }
  });

  it('every shape rule of secrets.ts has a kind; a rule searched only in runs has hints, and its samples hold one', () => {
    for (const p of SECRET_PATTERNS) {
      assert.match(p.kind, /^[a-z0-9-]+$/, p.id);
      if (p.scope === 'run') assert.ok(p.hints !== undefined && p.hints.length > 0, p.id);
    }
    for (const [kind, secret] of Object.entries(SAMPLE_SECRETS)) {
      const rule = SECRET_PATTERNS.find((p) => p.kind === kind);
      if (rule?.scope === 'run')
        assert.ok(
          rule.hints!.some((h) => secret.includes(h)),
          kind,
        );
    }
  });

  it('a value without secrets comes back clean, and untouched', () => {
    const value = { content: [{ type: 'text', text: 'Azure Interior, AZ001, azure.interior24@example.com, Token count: 12' }], n: 3 };
    const before = JSON.stringify(value);
    assert.deepEqual(scanValue(value, OWN, true), { kind: 'clean' });
    assert.equal(JSON.stringify(value), before);
  });

  it('searches nested objects, arrays, keys, structuredContent and an isError result', () => {
    const aws = SAMPLE_SECRETS['aws-access-key']!;
    const value = {
      content: [{ type: 'text', text: 'nothing here' }],
      structuredContent: { a: [{ b: { c: [`x ${aws}`] } }], [SAMPLE_SECRETS['github-token']!]: 1 },
      isError: true,
    };
    const r = redacted(value);
    assert.deepEqual(r.kinds, ['aws-access-key', 'github-token']);
    assert.equal(r.value.structuredContent.a[0].b.c[0], `x AKIA${secretMarker('aws-access-key')}`);
    assert.deepEqual(Object.keys(r.value.structuredContent)[1], `ghp_${secretMarker('github-token')}`);
    assert.equal(r.value.isError, true);
    // Only the way to a secret is copied.
    assert.equal(r.value.content, value.content);
  });

  it('finds secrets among many strings (the joined first search points the walk at the right ones), short strings between', () => {
    const aws = SAMPLE_SECRETS['aws-access-key']!;
    const jwt = SAMPLE_SECRETS['jwt']!;
    const list: unknown[] = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? `record ${i} of Azure Interior` : i % 3 === 1 ? 'x' : i));
    list[0] = `first ${aws}`;
    list[57] = { note: 'ok', [`k ${jwt}`]: 'v', ref: `middle ${aws}` };
    list[199] = `last ${SAMPLE_SECRETS['gitlab-token']}`;
    const r = redacted({ list });
    assert.deepEqual(r.kinds, ['aws-access-key', 'gitlab-token', 'jwt']);
    assert.equal(r.count, 4);
    assert.equal(r.value.list[0], `first AKIA${secretMarker('aws-access-key')}`);
    assert.deepEqual(Object.keys(r.value.list[57]), ['note', `k ${secretMarker('jwt')}`, 'ref']);
    assert.equal(r.value.list[57].ref, `middle AKIA${secretMarker('aws-access-key')}`);
    assert.equal(r.value.list[199], `last glpat-${secretMarker('gitlab-token')}`);
    assert.equal(r.value.list[3], 'record 3 of Azure Interior');
  });

  it('decodes \\u, \\x, \\/ and HTML numeric escapes before searching (a JSON text inside a string)', () => {
    const aws = SAMPLE_SECRETS['aws-access-key']!;
    const escaped = `\\u0041${aws.slice(1)}`;
    const inner = JSON.stringify({ ref: 'placeholder' }).replace('placeholder', escaped);
    for (const text of [
      inner,
      `\\\\u0041${aws.slice(1)}`,
      `\\u005Cu0041${aws.slice(1)}`,
      `&#65;${aws.slice(1)}`,
      `&#x41;${aws.slice(1)}`,
    ]) {
      const r = redacted({ text });
      assert.deepEqual(r.kinds, ['aws-access-key'], text);
      assert.ok(!r.value.text.includes(aws.slice(4)), r.value.text);
    }
    const hook = `https:\\/\\/hooks.slack.com\\/services\\/${'T0000000/B0000000/'}XXXXXXXXXXXXXXXXXXXXXXXX`;
    assert.deepEqual(redacted({ text: hook }).kinds, ['slack-webhook']);
  });

  it('replaces a secret found behind escapes in the original text, so a JSON text inside a string stays valid JSON', () => {
    const aws = SAMPLE_SECRETS['aws-access-key']!;
    const gh = SAMPLE_SECRETS['github-token']!;
    // As a tool returns its payload: a JSON text, with \n, \u and \" escapes in it (a \n before a token hid it once).
    const text = `{"ref":"line\\n\\u0041${aws.slice(1)}\\n${gh}\\n\\u00e9 \\"q\\""}`;
    const r = redacted({ text });
    assert.deepEqual(r.kinds, ['aws-access-key', 'github-token']);
    assert.equal(
      r.value.text,
      `{"ref":"line\\n\\u0041KIA${secretMarker('aws-access-key')}\\nghp_${secretMarker('github-token')}\\n\\u00e9 \\"q\\""}`,
    );
    assert.equal(JSON.parse(r.value.text).ref, `line\nAKIA${secretMarker('aws-access-key')}\nghp_${secretMarker('github-token')}\né "q"`);
  });

  it('finds a private key in base64 data (an attachment) and replaces the whole run', () => {
    const datas = Buffer.from(`notes\n${SAMPLE_SECRETS['private-key']}\n`).toString('base64');
    const r = redacted({ attachment: { name: 'id_rsa', datas } });
    assert.deepEqual(r.kinds, ['private-key']);
    assert.equal(r.value.attachment.datas, secretMarker('private-key', 'base64'));
    // The same run inside a JSON text, as a tool's text content carries it.
    const text = JSON.stringify({ attachment: { datas } });
    assert.equal(redacted({ text }).value.text, JSON.stringify({ attachment: { datas: secretMarker('private-key', 'base64') } }));
    // Ordinary base64 stays.
    const plain = Buffer.from('a logo, nothing secret, long enough to be a run').toString('base64');
    assert.deepEqual(scanValue({ datas: plain }, [], true), { kind: 'clean' });
  });

  it('finds base64-encoded secrets however the run sits among token characters (padding, `_ - . ~` around it)', () => {
    const key = SAMPLE_SECRETS['aws-access-key']!;
    for (const body of [`key ${key}`, `key ${key}!`, `key  ${key}!!`]) {
      const data = Buffer.from(body).toString('base64');
      for (const [text, rest] of [
        [data, ''],
        [`${data}==~x`, '~x'],
        [`id_${data}`, 'id_'],
        [`x-${data}.y`, 'x-'],
        [`a~${data}`, 'a~'],
        [`file.${data}=`, 'file.'],
      ] as const) {
        const r = redacted({ text });
        assert.deepEqual(r.kinds, ['aws-access-key'], text);
        assert.ok(!r.value.text.includes(data), text);
        assert.ok(r.value.text.includes(secretMarker('aws-access-key', 'base64')) && r.value.text.includes(rest), text);
      }
    }
  });

  it('redacts each string of an answer where the joined search found it, a PEM key across two strings too', () => {
    const key = SAMPLE_SECRETS['aws-access-key']!;
    const r = redacted({ a: `one ${key}`, b: 'clean text here', c: [`two ${key} and ${SAMPLE_SECRETS['github-token']}`] });
    assert.equal(r.count, 3);
    assert.equal(r.value.b, 'clean text here');
    assert.ok(!JSON.stringify(r.value).includes(key));
    const pem = SAMPLE_SECRETS['private-key']!;
    const cut = pem.indexOf('\n', pem.indexOf('BEGIN')) + 1;
    const split = redacted({ head: pem.slice(0, cut + 10), tail: pem.slice(cut + 10) });
    assert.deepEqual(split.kinds, ['private-key']);
    assert.ok(!split.value.head.includes(pem.slice(cut, cut + 10)));
  });

  it("finds the guard's own credential wherever it appears, and only credentials long enough", () => {
    const r = redacted({ text: `password is ${PASSWORD}, again ${PASSWORD}.` }, OWN);
    assert.deepEqual(r.kinds, ['odoo-credential']);
    assert.equal(r.count, 2);
    assert.equal(r.value.text, `password is ${secretMarker('odoo-credential')}, again ${secretMarker('odoo-credential')}.`);
    assert.deepEqual(ownSecretsFromEnv({ ODOO_PASSWORD: 'x'.repeat(MIN_OWN_SECRET_LENGTH - 1) }), []);
    assert.deepEqual(
      ownSecretsFromEnv({ ODOO_PASSWORD: 'admin123', ODOO_API_KEY: 'k'.repeat(40), ODOO_URL: 'https://odoo.example.com' }).map(
        (s) => s.value,
      ),
      ['k'.repeat(40), 'admin123'],
    );
    // Escaped, it is still found.
    assert.deepEqual(redacted({ text: `\\u004Fdoo-p4ss!word` }, OWN).kinds, ['odoo-credential']);
  });

  it('the credentials sent to an HTTP upstream (--upstream-header) are own secrets too: the whole value and its token', () => {
    const own = ownSecretsFromHeaders({
      Authorization: 'Bearer tok-abc123',
      'X-Api-Key': 'k'.repeat(20),
      'X-Tenant': 'acme-corporation',
      Cookie: 'x=1',
    });
    assert.deepEqual(
      own.map((s) => [s.kind, s.value]),
      [
        ['upstream-credential', 'k'.repeat(20)],
        ['upstream-credential', 'Bearer tok-abc123'],
        ['upstream-credential', 'tok-abc123'],
      ],
    );
    const r = redacted({ text: 'it said tok-abc123 back' }, own);
    assert.equal(r.value.text, `it said ${secretMarker('upstream-credential')} back`);
  });

  it('refuses to vouch for a value nested deeper than it looks', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < MAX_SCAN_DEPTH + 1; i++) deep = [deep];
    assert.deepEqual(scanValue(deep, [], true), { kind: 'too-deep' });
  });

  it('is linear: adversarial 1 MB texts take under 2 s each (a quadratic search would take minutes; about 0.5 s here on a shared machine)', function () {
    this.timeout(30_000);
    const MB = 1024 * 1024;
    const inputs: Record<string, string> = {
      'base64 run': 'A'.repeat(MB),
      escapes: '\\u0041'.repeat(MB / 6),
      'HTML entities': '&#65'.repeat(MB / 4),
      'BEGIN without END': '-----BEGIN RSA PRIVATE KEY-----'.repeat(MB / 31),
      'AKIA runs': 'AKIA'.repeat(MB / 4),
      'token words': 'Token '.repeat(MB / 6),
      'JWT starts': 'eyJ.'.repeat(MB / 4),
      'own secret prefixes': 'Odoo-p4ss'.repeat(MB / 9),
      'URL schemes': 'a://'.repeat(MB / 4),
    };
    for (const [label, text] of Object.entries(inputs)) {
      const start = process.hrtime.bigint();
      scanValue({ text }, OWN, true);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      assert.ok(ms < 2000, `${label}: ${ms.toFixed(0)} ms`);
    }
  });
});
