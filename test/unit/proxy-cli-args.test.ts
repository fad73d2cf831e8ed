import { strict as assert } from 'node:assert';
import { UsageError, USAGE, parsePinArgs, parseRunArgs } from '../../src/cli/args';
import { DEFAULT_CALL_TIMEOUT_SECONDS } from '../../src/guard/proxy/guard-proxy';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../../src/guard/proxy/jsonrpc';
import { DEFAULT_AUDIT_MAX_BYTES } from '../../src/guard/io/audit-log';
import { DEFAULT_MAX_RESTARTS } from '../../src/guard/io/upstream';

describe('proxy CLI: the reliability flags of mcp-guard run', () => {
  it('parses --call-timeout, --max-message-bytes, --max-restarts, --audit-max-bytes and --audit-fail-open', () => {
    const o = parseRunArgs([
      '--call-timeout',
      '2.5',
      '--max-message-bytes',
      '65536',
      '--max-restarts',
      '0',
      '--audit-max-bytes',
      '0',
      '--audit-fail-open',
      '--',
      'node',
      'server.js',
    ]);
    assert.equal(o.callTimeoutSeconds, 2.5);
    assert.equal(o.maxMessageBytes, 65536);
    assert.equal(o.maxRestarts, 0);
    assert.equal(o.auditMaxBytes, 0);
    assert.equal(o.auditFailOpen, true);
  });

  it('leaves them out when not given (the defaults live in one place each)', () => {
    const o = parseRunArgs(['--', 'node', 'server.js']);
    for (const k of ['callTimeoutSeconds', 'maxMessageBytes', 'maxRestarts', 'auditMaxBytes', 'auditFailOpen']) assert.ok(!(k in o), k);
    assert.equal(DEFAULT_CALL_TIMEOUT_SECONDS, 60);
    assert.equal(DEFAULT_MAX_MESSAGE_BYTES, 16 * 1024 * 1024);
    assert.equal(DEFAULT_AUDIT_MAX_BYTES, 10 * 1024 * 1024);
    assert.equal(DEFAULT_MAX_RESTARTS, 5);
    for (const flag of ['--call-timeout', '--max-message-bytes', '--max-restarts', '--audit-max-bytes', '--audit-fail-open'])
      assert.ok(USAGE.includes(flag), flag);
  });

  it('refuses bad values with a usage error', () => {
    for (const [flag, value] of [
      ['--call-timeout', '-1'],
      ['--call-timeout', 'soon'],
      ['--call-timeout', ''],
      ['--max-message-bytes', '100'],
      ['--max-message-bytes', '2048.5'],
      ['--max-restarts', '-2'],
      ['--max-restarts', '1.5'],
      ['--audit-max-bytes', '10'],
    ] as const) {
      assert.throws(
        () => parseRunArgs([`${flag}=${value}`, '--', 'x']),
        (e: Error) => e instanceof UsageError && e.message.startsWith(`${flag} must be`),
        `${flag} ${value}`,
      );
    }
  });

  it('--scan-results is redact unless given off, flag or redact, and refuses anything else', () => {
    assert.equal(parseRunArgs(['--', 'x']).scanResults, 'redact');
    for (const mode of ['off', 'flag', 'redact'] as const)
      assert.equal(parseRunArgs(['--scan-results', mode, '--', 'x']).scanResults, mode);
    assert.throws(
      () => parseRunArgs(['--scan-results', 'mask', '--', 'x']),
      (e: Error) => e instanceof UsageError && e.message === '--scan-results must be off, flag or redact, not "mask"',
    );
    assert.ok(USAGE.includes('[--scan-results off|flag|redact]'));
  });

  it('--catalog is auto by default, takes odoo-mcp or none, and refuses anything else', () => {
    assert.equal(parseRunArgs(['--', 'x']).catalog, 'auto');
    assert.equal(parseRunArgs(['--catalog', 'odoo-mcp', '--', 'x']).catalog, 'odoo-mcp');
    assert.equal(parseRunArgs(['--catalog=none', '--', 'x']).catalog, 'none');
    for (const bad of ['Odoo-MCP', 'odoo', '', 'auto ']) {
      assert.throws(
        () => parseRunArgs([`--catalog=${bad}`, '--', 'x']),
        (e: Error) => e instanceof UsageError && e.message === `--catalog must be auto, odoo-mcp or none, not ${JSON.stringify(bad)}`,
      );
    }
  });
});

describe('CLI: pinned tool definitions (mcp-guard pin, run --pins)', () => {
  it('run --pins FILE is read; without it there is none (trust on first use)', () => {
    assert.equal(parseRunArgs(['--pins', 'odoo.pins.json', '--', 'uvx', 'odoo-mcp']).pins, 'odoo.pins.json');
    assert.ok(!('pins' in parseRunArgs(['--', 'uvx', 'odoo-mcp'])));
    assert.throws(() => parseRunArgs(['--pins', ' ', '--', 'uvx']), /--pins needs a file name/);
  });

  it('pin --pins FILE [--name NAME] -- COMMAND ARGS', () => {
    assert.deepEqual(parsePinArgs(['--pins', 'p.json', '--', 'uvx', 'odoo-mcp', '--flag']), {
      pins: 'p.json',
      name: 'uvx odoo-mcp --flag',
      command: 'uvx',
      commandArgs: ['odoo-mcp', '--flag'],
    });
    assert.equal(parsePinArgs(['--pins', 'p.json', '--name', 'odoo', '--', 'uvx']).name, 'odoo');
    assert.throws(
      () => parsePinArgs(['--', 'uvx']),
      (e: Error) => e instanceof UsageError && /needs --pins FILE/.test(e.message),
    );
    assert.throws(() => parsePinArgs(['--pins', 'p.json']), /needs the server command after --/);
    assert.throws(() => parsePinArgs(['--pins', 'p.json', 'extra', '--', 'uvx']), /unexpected extra before --/);
    assert.throws(() => parsePinArgs(['--policy', 'x', '--pins', 'p.json', '--', 'uvx']), /policy/);
    assert.ok(USAGE.includes('mcp-guard pin --pins FILE [--name NAME] -- COMMAND [ARGS...]'));
    assert.ok(USAGE.includes('[--pins FILE]\n'));
    assert.ok(USAGE.includes('(-- COMMAND [ARGS...] | --upstream-url URL'));
  });
});

describe('CLI: run --upstream-url URL [--upstream-header "Name: value"]...', () => {
  const ENV = { ODOO_MCP_TOKEN: 'tok-123', EMPTY: '' };

  it('takes --upstream-url instead of a command: the URL (query hidden) stands for the command, its host for the name', () => {
    const o = parseRunArgs(['--policy', 'p.yaml', '--upstream-url', 'https://odoo.example.com:8443/mcp?api_key=s3cret'], ENV);
    assert.equal(o.upstreamUrl, 'https://odoo.example.com:8443/mcp?api_key=s3cret');
    assert.equal(o.command, 'https://odoo.example.com:8443/mcp?…');
    assert.deepEqual(o.commandArgs, []);
    assert.equal(o.name, 'odoo.example.com:8443');
    assert.equal(o.policy, 'p.yaml');
    assert.ok(!('upstreamHeaders' in o));
    assert.equal(parseRunArgs(['--upstream-url=http://127.0.0.1:3001/mcp', '--name', 'odoo'], ENV).command, 'http://127.0.0.1:3001/mcp');
    assert.equal(parseRunArgs(['--upstream-url=http://127.0.0.1:3001/mcp', '--name', 'odoo'], ENV).name, 'odoo');
    assert.ok(!('upstreamUrl' in parseRunArgs(['--', 'node', 's.js'], ENV)));
  });

  it('reads each --upstream-header, replacing ${NAME} with that environment variable', () => {
    const o = parseRunArgs(
      [
        '--upstream-url',
        'http://x/mcp',
        '--upstream-header',
        'Authorization: Bearer ${ODOO_MCP_TOKEN}',
        '--upstream-header',
        'X-Tenant:acme  ',
        '--upstream-header',
        'X-Empty: ${EMPTY}',
        '--upstream-header',
        'X-Price: $5 and $ODOO_MCP_TOKEN',
      ],
      ENV,
    );
    assert.deepEqual(o.upstreamHeaders, {
      Authorization: 'Bearer tok-123',
      'X-Tenant': 'acme',
      'X-Empty': '',
      'X-Price': '$5 and $ODOO_MCP_TOKEN',
    });
  });

  it('refuses bad headers with a usage error that names the header or variable, never the value', () => {
    const cases: [string[], RegExp][] = [
      [['--upstream-header', 'X: y', '--', 'node', 's.js'], /--upstream-header goes with --upstream-url/],
      [['--upstream-url', 'http://x/mcp', '--', 'node'], /either --upstream-url URL or the server command/],
      [['--upstream-url', 'ftp://x/mcp'], /--upstream-url must be an http/],
      [['--upstream-url', 'https://me:s3cret@x/mcp'], /must not hold a user name or password/],
      [['--upstream-url', 'http://x/mcp', '--upstream-header', 'Authorization Bearer s3cret'], /must be "Name: value"/],
      [['--upstream-url', 'http://x/mcp', '--upstream-header', 'Bad Name: s3cret'], /must be "Name: value"/],
      [['--upstream-url', 'http://x/mcp', '--upstream-header', ': s3cret'], /must be "Name: value"/],
      [['--upstream-url', 'http://x/mcp', '--upstream-header', 'X-A: s3cret\r\nX-B: 1'], /X-A: the value must not hold a line break/],
      [['--upstream-url', 'http://x/mcp', '--upstream-header', 'X-A: s3cret\n'], /X-A: the value must not hold a line break/],
      [['--upstream-url', 'http://x/mcp', '--upstream-header', 'X-A: ${NOT_SET_HERE}'], /the environment variable NOT_SET_HERE is not set/],
      [
        ['--upstream-url', 'http://x/mcp', '--upstream-header', 'X-A: ${env:TOKEN}'],
        /\$\{env:TOKEN\} is not an environment variable reference/,
      ],
      [['--upstream-url', 'http://x/mcp', '--upstream-header', 'Mcp-Session-Id: s3cret'], /sets that header itself/],
      // The HTTP client (undici) refuses these: a usage error rather than every request failing.
      [['--upstream-url', 'http://x/mcp', '--upstream-header', 'Expect: s3cret'], /sets that header itself/],
      [['--upstream-url', 'http://x/mcp', '--upstream-header', 'Keep-Alive: s3cret'], /sets that header itself/],
      [['--upstream-url', 'http://x/mcp', '--upstream-header', 'Upgrade: s3cret'], /sets that header itself/],
      [['--upstream-url', 'http://x/mcp', '--upstream-header', 'X-A: 1', '--upstream-header', 'x-a: s3cret'], /x-a is given twice/],
    ];
    for (const [argv, message] of cases) {
      assert.throws(() => parseRunArgs(argv, ENV), message, argv.join(' '));
      assert.throws(
        () => parseRunArgs(argv, ENV),
        (e: Error) => e instanceof UsageError && !e.message.includes('s3cret'),
        argv.join(' '),
      );
    }
  });

  it('refuses a line break that comes from the environment (header injection)', () => {
    assert.throws(
      () => parseRunArgs(['--upstream-url', 'http://x/mcp', '--upstream-header', 'X-Token: ${T}'], { T: 's3cret\r\nX-Admin: 1' }),
      (e: Error) =>
        e instanceof UsageError && /X-Token: the value must not hold a line break/.test(e.message) && !e.message.includes('s3cret'),
    );
  });

  it('is in the usage text', () => {
    assert.match(USAGE, /--upstream-url URL \[--upstream-header "NAME: VALUE"\]\.\.\./);
    assert.match(USAGE, /Bearer \$\{ODOO_MCP_TOKEN\}/);
  });
});
