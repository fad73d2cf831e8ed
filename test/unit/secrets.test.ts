// src/guard/secrets.ts: the one secret detector for names, text and argument values.
import { strict as assert } from 'node:assert';
import { ALL_PATTERNS, REDACTED, TOO_DEEP, isSecretName, redactSecrets, redactSecretsInText } from '../../src/guard/secrets';

/** Odoo's ordinary argument names, which must stay readable. */
const ODOO_NAMES = [
  'model',
  'method',
  'domain',
  'fields',
  'values',
  'record_ids',
  'task_id',
  'limit',
  'offset',
  'order',
  'context',
  'file_root',
  'path',
  'name',
  'description',
  'body',
  'subject',
  'attachment_id',
  'include_data',
  'login',
  'ids',
  'email',
  'partner_id',
  'res_model',
  'res_id',
  'author_id',
  'state',
  'active',
  'kwargs',
  'args',
  'url',
  'db',
  'username',
];

/** Made-up values in each format (long enough, right alphabet); none is a real credential. */
const TOKENS: Record<string, string> = {
  githubClassic: `ghp_${'aB3dE6gH9k'.repeat(4)}`.slice(0, 40),
  githubOauth: `gho_${'Zy9Xw8Vu7T'.repeat(4)}`.slice(0, 40),
  githubFineGrained: `github_pat_11ABCDEFG0${'aB3_dE6gH9'.repeat(8)}`,
  aws: 'AKIAIOSFODNN7EXAMPLE',
  awsSession: 'ASIAY34FZKBOKMUTVV7A',
  slackBot: 'xoxb-1234567890123-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx',
  slackUser: 'xoxp-1234567890123-1234567890123-1234567890123-0123456789abcdef0123456789abcdef',
  stripeLive: `sk_live_${'4eC39HqLyjWDarjtT1zdp7dc'}`,
  stripeRestricted: `rk_test_${'51H8xyzABCDEF0123456789'}`,
  google: `AIza${'SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY'}`,
  openai: `sk-${'proj-'}${'Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0'.repeat(2)}`,
  openaiLegacy: `sk-${'Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0UvWxYz12'}`,
  anthropic: `sk-ant-api03-${'Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0'.repeat(3)}`,
  gitlab: `glpat-${'Ab1Cd2Ef3Gh4Ij5Kl6Mn'}`,
  huggingface: `hf_${'AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh'}`,
};

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const PEM = [
  '-----BEGIN RSA PRIVATE KEY-----',
  'MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB',
  'aFDrBz9vFqU4yQ8mS0pQwZkq7c1r9zH4PqdEXAMPLEONLYnotarealkey0123456',
  '-----END RSA PRIVATE KEY-----',
].join('\n');

describe('secrets: isSecretName', () => {
  it('every key name from the report is a secret name', () => {
    for (const name of [
      'pwd',
      'passcode',
      'auth',
      'bearer',
      'access_key',
      'session',
      'jwt',
      'otp',
      'key',
      'signature',
      'Pass-Word',
      'API.KEY',
      'clientSecret',
    ]) {
      assert.equal(isSecretName(name), true, name);
    }
  });

  it('the old list still counts', () => {
    for (const name of [
      'password',
      'PASSWORD',
      'passwd',
      'odoo_password',
      'pass',
      'secret',
      'client_secret',
      'token',
      'apiKey',
      'api-key',
      'private_key',
      'session_id',
      'credentials',
      'Authorization',
      'Cookie',
      'passphrase',
    ]) {
      assert.equal(isSecretName(name), true, name);
    }
  });

  it('the wider list: separators, case, compounds and trailing digits', () => {
    for (const name of [
      'DB_PASSWORD',
      'userPassword',
      'password2',
      'pass_word',
      'new_pw',
      'db_pass',
      'access_token',
      'refreshToken',
      'id_token',
      'x-auth-token',
      'X-API-Key',
      'apikey',
      'APIKey',
      'secret_key',
      'aws_secret_access_key',
      'AccessKeyId',
      'privkey',
      'signing_key',
      'ssh_key',
      'key1',
      'encryptionKey',
      'sessionId',
      'PHPSESSID',
      'JSESSIONID',
      'user_session',
      'sid',
      'set-cookie',
      'csrf_token',
      'xsrf',
      'totp',
      'totp_secret',
      'mfa_code',
      'mfaCode',
      '2fa',
      'otp_code',
      'pin',
      'pin_code',
      'pinCode',
      'user_pin',
      'sig',
      'hmac',
      'hmac_sha256',
      'salt',
      'seed',
      'seed_phrase',
      'mnemonic',
      'ssn',
      'cvv',
      'cvc',
      'card_number',
      'creditCard',
      'basic_auth',
      'auth_header',
      'authn',
      'authentication',
      'proxy-authorization',
      'bearer_token',
      'credential',
      'client_credentials',
    ]) {
      assert.equal(isSecretName(name), true, name);
    }
  });

  it('look-alike names: zero-width and other invisible characters, Cyrillic and Greek letters, fullwidth, accents, small capitals', () => {
    for (const name of [
      'pass\u200Bword',
      'pass\u200Dword',
      'pa\u00ADssword',
      '\uFEFFpassword',
      'to\u2060ken',
      'se\u200Ccret',
      'api\u200B_key',
      '\u0440\u0430ssword', // Cyrillic р а
      'p\u0430ssw\u043Erd', // Cyrillic а о
      '\u0421lient\u0455ecret', // Cyrillic С ѕ
      't\u03BFken', // Greek ο
      '\u03A1\u0391SSWORD', // Greek Ρ Α
      'ａｐｉ＿ｋｅｙ',
      'ｐａｓｓｗｏｒｄ',
      'ＰＡＳＳＷＯＲＤ',
      'pa\u0301ssword',
      'pässwörd',
      '𝐩𝐚𝐬𝐬𝐰𝐨𝐫𝐝',
      'ᴘᴀꜱꜱᴡᴏʀᴅ',
    ]) {
      assert.equal(isSecretName(name), true, JSON.stringify(name));
    }
  });

  it('ordinary names, including Odoo arguments and words that merely contain a short secret word, are not secret', () => {
    for (const name of [
      ...ODOO_NAMES,
      'monkey',
      'turkey',
      'hockey',
      'keys',
      'keyId',
      'key_id',
      'key_field',
      'keyName',
      'public_key',
      'publicKey',
      'primary_key',
      'sort_key',
      'idempotency_key',
      'foreign_key',
      'author',
      'authority',
      'design',
      'assign',
      'pinned',
      'pass_through',
      'passenger',
      'bypass',
      'compass',
      'session_count',
      'sessions_limit',
      'max_tokens',
      'token_count',
      'prompt_tokens_total',
      'seedling',
      'salty',
      'otter',
      'cookbook',
      'secrecy',
      '',
      '_',
      '123',
    ]) {
      assert.equal(isSecretName(name), false, JSON.stringify(name));
    }
  });

  it('a very long name is decided without being remembered', () => {
    assert.equal(isSecretName(`${'x'.repeat(10_000)}_password`), true);
    assert.equal(isSecretName('x'.repeat(10_000)), false);
  });
});

describe('secrets: redactSecretsInText', () => {
  const cases: [string, string][] = [
    ['password=hunter2', `password=${REDACTED}`],
    ['login with password=hunter2 please', `login with password=${REDACTED} please`],
    ['pwd: s3cr3t, then go', `pwd: ${REDACTED}, then go`],
    ['DB_PASSWORD="correct horse battery" next', `DB_PASSWORD="${REDACTED}" next`],
    ["{'api_key': 'abc123', 'model': 'res.partner'}", `{'api_key': '${REDACTED}', 'model': 'res.partner'}`],
    ['{"token":"abc\\"def","name":"x"}', `{"token":"${REDACTED}","name":"x"}`],
    ['{\\"password\\": \\"pw1\\", \\"a\\": 1}', `{\\"password\\": \\"${REDACTED}\\", \\"a\\": 1}`],
    ['secret => swordfish', `secret => ${REDACTED}`],
    ['pass\u200Bword=x1 and раssword=x2', `pass\u200Bword=${REDACTED} and раssword=${REDACTED}`],
    ['postgres://user:pw@db.example.com:5432/prod', `postgres://user:${REDACTED}@db.example.com:5432/prod`],
    [
      'mongodb+srv://admin:p@ss:w0rd@cluster0.example.net/db?retryWrites=true',
      `mongodb+srv://admin:${REDACTED}@cluster0.example.net/db?retryWrites=true`,
    ],
    ['redis://:only-pw@cache:6379', `redis://:${REDACTED}@cache:6379`],
    ['https://x-access-token:tok123@github.com/o/r.git', `https://x-access-token:${REDACTED}@github.com/o/r.git`],
    ['Authorization: Bearer abc.def-123', `Authorization: Bearer ${REDACTED}`],
    ['authorization: Basic dXNlcjpwdw==\nAccept: */*', `authorization: Basic ${REDACTED}\nAccept: */*`],
    ['"Authorization": "Token 0123456789abcdef"', `"Authorization": "Token ${REDACTED}"`],
    ['Cookie: theme=dark; session_id=abc123\nHost: x', `Cookie: ${REDACTED}\nHost: x`],
    ['curl -H "X-Api-Key: k-123456" https://api', `curl -H "X-Api-Key: ${REDACTED}" https://api`],
    ['https://x/cb?access_token=abc123&page=2', `https://x/cb?access_token=${REDACTED}&page=2`],
    ['https://x/api?q=1&api_key=XYZ987&page=2', `https://x/api?q=1&api_key=${REDACTED}&page=2`],
    ['https://x/cb#access_token=abc&state=s', `https://x/cb#access_token=${REDACTED}&state=s`],
    ['https://maps.example/api?key=AbC123&size=2', `https://maps.example/api?key=${REDACTED}&size=2`],
    [
      'https://acct.blob.core.windows.net/c/f?sv=2020&sig=AbC%2Bd%3D&se=2030',
      `https://acct.blob.core.windows.net/c/f?sv=2020&sig=${REDACTED}&se=2030`,
    ],
    [`token is ${JWT} ok`, `token is ${REDACTED} ok`],
    [`jwt=${JWT}`, `jwt=${REDACTED}`],
    [`before\n${PEM}\nafter`, `before\n-----BEGIN RSA PRIVATE KEY-----\n${REDACTED}\n-----END RSA PRIVATE KEY-----\nafter`],
    ['-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA (cut short)', `-----BEGIN OPENSSH PRIVATE KEY-----\n${REDACTED}\n`],
    ['Bearer abcdef0123456789 was sent', `Bearer ${REDACTED} was sent`],
    [`Basic ${btoa('admin:hunter2')}`, `Basic ${REDACTED}`],
    ['https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX', `https://hooks.slack.com/services/${REDACTED}`],
    [`pwd：full-width-colon`, `pwd：${REDACTED}`],
  ];
  for (const [input, expected] of cases) {
    it(`redacts only the secret in ${JSON.stringify(input.slice(0, 60))}`, () => {
      assert.equal(redactSecretsInText(input), expected);
    });
  }

  it('redacts every well-known token format, keeping its non-secret prefix and the text around it', () => {
    for (const [kind, token] of Object.entries(TOKENS)) {
      const text = `use ${token} for ${kind}`;
      const shown = redactSecretsInText(text);
      assert.ok(!shown.includes(token), `${kind}: ${shown}`);
      assert.ok(shown.startsWith('use ') && shown.endsWith(` for ${kind}`), `${kind}: ${shown}`);
      assert.ok(shown.includes(REDACTED), `${kind}: ${shown}`);
      assert.equal(redactSecretsInText(`"${token}"`).includes(token), false, kind);
    }
    assert.equal(redactSecretsInText(TOKENS['githubClassic']!), `ghp_${REDACTED}`);
    assert.equal(redactSecretsInText(TOKENS['aws']!), `AKIA${REDACTED}`);
    assert.equal(redactSecretsInText(TOKENS['stripeLive']!), `sk_live_${REDACTED}`);
  });

  it('leaves ordinary text alone, including look-alike shapes', () => {
    for (const text of [
      'res.partner',
      'ilike',
      'acme',
      'Write a short note to the customer.',
      'https://mycompany.odoo.com/web#id=5&model=res.partner',
      'a=1&b=2',
      'Time: 10:30',
      '[["name", "ilike", "acme"]]',
      'the Bearer bonds matured',
      'Basic information about tokens',
      'sk-learn-classification-guide',
      'password',
      'token',
      'ghp_short',
      'AKIA is a prefix',
      'mailto:bob@example.com',
      'https://host:8080/path@x',
      'eyJ without dots',
      'https://example.com/?page=2&order=name',
      '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
      'key_id=5',
      'public_key=ssh-ed25519 AAAA',
      REDACTED,
      '',
    ]) {
      assert.equal(redactSecretsInText(text), text, text);
    }
  });

  it('is idempotent', () => {
    for (const [input] of cases) {
      const once = redactSecretsInText(input);
      assert.equal(redactSecretsInText(once), once, input);
    }
  });
});

describe('secrets: redactSecrets', () => {
  it('hides the values of every secret-named key whole, at any depth, and keeps the keys', () => {
    const args = {
      model: 'res.users',
      pwd: 'p1',
      passcode: 1234,
      auth: { user: 'u', pass: 'p' },
      bearer: 'b1',
      access_key: 'ak',
      session: 's1',
      jwt: JWT,
      otp: '123456',
      key: 'k1',
      signature: 'sg',
      'Pass-Word': 'p2',
      'API.KEY': 'p3',
      clientSecret: ['c1', 'c2'],
      'pass\u200Bword': 'p4',
      '\u0440\u0430ssword': 'p5',
      ｐａｓｓｗｏｒｄ: 'p6',
      nested: [{ values: { password: 'p7', login: 'bob' } }, [{ token: null }]],
    };
    const shown = redactSecrets(args) as Record<string, unknown>;
    assert.deepEqual(Object.keys(shown), Object.keys(args));
    for (const k of Object.keys(args)) {
      if (k === 'model' || k === 'nested') continue;
      assert.equal(shown[k], REDACTED, k);
    }
    assert.equal(shown['model'], 'res.users');
    assert.deepEqual(shown['nested'], [{ values: { password: REDACTED, login: 'bob' } }, [{ token: REDACTED }]]);
    const text = JSON.stringify(shown);
    for (const secret of ['p1', '1234', '"p"', 'b1', '"ak"', 's1', JWT, '123456', 'k1', 'sg', 'p2', 'p3', 'c1', 'p4', 'p5', 'p6', 'p7'])
      assert.ok(!text.includes(secret), secret);
    assert.equal(args.pwd, 'p1', 'the arguments themselves are left alone');
  });

  it('hides secrets inside other string values, keeping the rest', () => {
    const shown = redactSecrets({
      url: 'postgres://odoo:pw@db/prod',
      note: ['call https://x/cb?access_token=abc&page=2', { header: 'Authorization: Bearer t0k3n' }],
      body: `deploy with ${TOKENS['githubClassic']}`,
    });
    assert.deepEqual(shown, {
      url: `postgres://odoo:${REDACTED}@db/prod`,
      note: [`call https://x/cb?access_token=${REDACTED}&page=2`, { header: `Authorization: Bearer ${REDACTED}` }],
      body: `deploy with ghp_${REDACTED}`,
    });
  });

  it('leaves ordinary Odoo arguments and values untouched', () => {
    const args = {
      model: 'res.partner',
      method: 'search_read',
      domain: [['name', 'ilike', 'acme'], '|', ['email', '=', 'a@b.com'], ['write_date', '>=', '2024-01-01 10:00:00']],
      fields: ['name', 'email', 'phone'],
      values: { name: 'ACME', comment: '<p>Hello</p>', website: 'https://acme.example/contact?x=1' },
      record_ids: [1, 2, 3],
      task_id: 'c0ffee-42',
      limit: 10,
      offset: 0,
      order: 'name asc',
      context: { lang: 'en_US', tz: 'Europe/Brussels', active_test: false },
      file_root: '/tmp/odoo',
      path: 'a/b.txt',
      name: 'Quarterly report',
      description: 'Review the numbers: revenue and costs.',
      body: 'Dear customer, see attached.',
      subject: 'Invoice INV/2024/0001',
      attachment_id: 7,
      include_data: true,
    };
    assert.deepEqual(redactSecrets(args), args);
  });

  it('hides the value of an Odoo domain leaf on a secret-named field', () => {
    assert.deepEqual(
      redactSecrets({
        domain: [
          ['login', '=', 'bob'],
          ['password', '=', 'hunter2'],
          ['api_key', 'in', ['a', 'b']],
        ],
      }),
      {
        domain: [
          ['login', '=', 'bob'],
          ['password', '=', REDACTED],
          ['api_key', 'in', REDACTED],
        ],
      },
    );
    assert.deepEqual(redactSecrets(['password', 'x', 'y']), ['password', 'x', 'y'], 'not a domain leaf');
  });

  it('a "__proto__" key from JSON.parse stays a key: redacted inside, no prototype set, same JSON', () => {
    const args = JSON.parse('{"__proto__": {"password": "p-proto", "polluted": true}, "model": "res.partner"}') as Record<string, unknown>;
    const shown = redactSecrets(args) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(shown), Object.prototype);
    assert.equal((shown as { polluted?: unknown }).polluted, undefined);
    assert.ok(Object.prototype.hasOwnProperty.call(shown, '__proto__'));
    assert.equal(JSON.stringify(shown), `{"__proto__":{"password":"${REDACTED}","polluted":true},"model":"res.partner"}`);
    const secretProto = redactSecrets(JSON.parse('{"a": {"__proto__": "x", "token": "t"}}')) as { a: object };
    assert.equal(JSON.stringify(secretProto), `{"a":{"__proto__":"x","token":"${REDACTED}"}}`);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
  });

  it('replaces what is nested deeper than 32 levels', () => {
    let v: unknown = { token: 'at-40' };
    for (let i = 0; i < 40; i++) v = [v];
    const text = JSON.stringify(redactSecrets(v));
    assert.ok(!text.includes('at-40'));
    assert.ok(text.includes(TOO_DEEP));
  });

  it('passes other values through', () => {
    assert.equal(redactSecrets(undefined), undefined);
    assert.equal(redactSecrets(null), null);
    assert.equal(redactSecrets(5), 5);
    assert.equal(redactSecrets('password'), 'password');
    assert.equal(redactSecrets('password=x'), `password=${REDACTED}`);
  });
});

describe('secrets: every pattern runs in linear time', () => {
  const N = 100_000;
  const adversarial: Record<string, string> = {
    'a*': 'a'.repeat(N),
    'A*': 'A'.repeat(N),
    '0*': '0'.repeat(N),
    '=*': '='.repeat(N),
    ':*': ':'.repeat(N),
    'space*': ' '.repeat(N),
    'eyJ+a*': `eyJ${'a'.repeat(N)}`,
    'eyJ+a*+.': `eyJ${'a'.repeat(N)}.`,
    '(eyJa.)*': 'eyJa.'.repeat(N / 5),
    'eyJ*': 'eyJ'.repeat(N / 3),
    '(password=)*': 'password='.repeat(N / 9),
    '(password: )*': 'password: '.repeat(N / 10),
    '(a=)*': 'a='.repeat(N / 2),
    '(a:)*': 'a:'.repeat(N / 2),
    '("a":)*': '"a":'.repeat(N / 4),
    '(\\")*': '\\"'.repeat(N / 2),
    'password="+a*': `password="${'a'.repeat(N)}`,
    'Cookie: +a*': `Cookie: ${'a'.repeat(N)}`,
    'name run, no separator': `${'k'.repeat(N)}=`,
    '(x://)*': 'x://'.repeat(N / 4),
    'x://u:+a*': `x://u:${'a'.repeat(N)}`,
    'x://u:+@*': `x://u:${'@'.repeat(N)}`,
    '(a://b:c)*': 'a://b:c '.repeat(N / 8),
    '(-----BEGIN )*': '-----BEGIN '.repeat(N / 11),
    '(BEGIN PRIVATE KEY)*': '-----BEGIN PRIVATE KEY-----'.repeat(N / 27),
    '-----BEGIN +A*': `-----BEGIN ${'A'.repeat(N)}`,
    '(ghp_)*': 'ghp_'.repeat(N / 4),
    '(AKIA)*': 'AKIA'.repeat(N / 4),
    '(xoxb-)*': 'xoxb-'.repeat(N / 5),
    '(sk-)*': 'sk-'.repeat(N / 3),
    '(sk_live_)*': 'sk_live_'.repeat(N / 8),
    '(Bearer )*': 'Bearer '.repeat(N / 7),
    'Bearer +a*': `Bearer ${'a'.repeat(N)}`,
    'Basic +A*': `Basic ${'A'.repeat(N)}`,
    '(a-)*': 'a-'.repeat(N / 2),
    '(hooks.slack.com/services/)*': 'hooks.slack.com/services/'.repeat(N / 25),
    'zero-width*': '\u200B'.repeat(N),
    'combining*': `a${'\u0301'.repeat(N)}`,
  };

  // CPU time, not wall time: a loaded machine (CI, parallel builds) stretches the wall clock, while
  // backtracking on 100 KB would cost seconds of CPU either way.
  function timeMs(run: () => void): number {
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const t0 = process.cpuUsage();
      run();
      const used = process.cpuUsage(t0);
      best = Math.min(best, (used.user + used.system) / 1000);
    }
    return best;
  }

  function runPattern(pattern: RegExp, input: string): void {
    if (!pattern.global && !pattern.sticky) {
      pattern.test(input);
      return;
    }
    pattern.lastIndex = 0;
    for (let m = pattern.exec(input); m !== null; m = pattern.exec(input)) {
      if (pattern.sticky) break;
      if (m[0] === '') pattern.lastIndex++;
    }
    pattern.lastIndex = 0;
  }

  it('each pattern on each adversarial 100 KB input takes well under 100 ms', function () {
    this.timeout(120_000);
    const slow: string[] = [];
    for (const { id, pattern } of ALL_PATTERNS) {
      for (const [label, input] of Object.entries(adversarial)) {
        const ms = timeMs(() => runPattern(pattern, input));
        if (ms > 50) slow.push(`${id} on ${label}: ${ms.toFixed(1)} ms`);
      }
    }
    assert.deepEqual(slow, []);
  });

  it('redactSecretsInText, isSecretName and redactSecrets on each adversarial input take well under 100 ms', function () {
    this.timeout(120_000);
    const slow: string[] = [];
    for (const [label, input] of Object.entries(adversarial)) {
      for (const [what, run] of [
        ['redactSecretsInText', () => redactSecretsInText(input)],
        ['isSecretName', () => isSecretName(input)],
        ['redactSecrets (as a key)', () => redactSecrets({ [input]: 'v' })],
      ] as const) {
        const ms = timeMs(run);
        if (ms > 50) slow.push(`${what} on ${label}: ${ms.toFixed(1)} ms`);
      }
    }
    assert.deepEqual(slow, []);
  });
});
