import { strict as assert } from 'node:assert';
import {
  DEFAULT_MAX_SESSIONS,
  DEFAULT_SERVE_PATH,
  DEFAULT_SESSION_IDLE_SECONDS,
  USAGE,
  UsageError,
  parseListen,
  parseServeArgs,
} from '../../src/cli/args';

describe('serve CLI: the flags of mcp-guard serve', () => {
  it('parses where to listen, who may connect and the run flags it shares', () => {
    const o = parseServeArgs([
      '--listen',
      '127.0.0.1:0',
      '--path',
      '/guarded/mcp',
      '--token-file',
      'token.txt',
      '--allow-origin',
      'http://localhost:6274',
      '--allow-origin',
      'https://app.example.com',
      '--max-sessions',
      '3',
      '--session-idle',
      '90',
      '--policy',
      'p.yaml',
      '--mode',
      'monitor',
      '--call-timeout',
      '5',
      '--max-message-bytes',
      '65536',
      '--',
      'uvx',
      'odoo-mcp',
      '--',
      '--x',
    ]);
    assert.equal(o.host, '127.0.0.1');
    assert.equal(o.port, 0);
    assert.equal(o.path, '/guarded/mcp');
    assert.equal(o.tokenFile, 'token.txt');
    assert.deepEqual(o.allowOrigins, ['http://localhost:6274', 'https://app.example.com']);
    assert.equal(o.maxSessions, 3);
    assert.equal(o.sessionIdleSeconds, 90);
    assert.equal(o.policy, 'p.yaml');
    assert.equal(o.mode, 'monitor');
    assert.equal(o.callTimeoutSeconds, 5);
    assert.equal(o.maxMessageBytes, 65536);
    assert.equal(o.command, 'uvx');
    assert.deepEqual(o.commandArgs, ['odoo-mcp', '--', '--x']);
    assert.equal(o.name, 'uvx odoo-mcp --');
  });

  it('has defaults: 127.0.0.1 for a bare port, /mcp, no token, no origin, 16 sessions, 30 minutes idle', () => {
    const o = parseServeArgs(['--listen', '8080', '--', 'node', 'server.js']);
    assert.equal(o.host, '127.0.0.1');
    assert.equal(o.port, 8080);
    assert.equal(o.path, DEFAULT_SERVE_PATH);
    assert.equal(DEFAULT_SERVE_PATH, '/mcp');
    assert.ok(!('tokenFile' in o));
    assert.deepEqual(o.allowOrigins, []);
    assert.equal(o.maxSessions, DEFAULT_MAX_SESSIONS);
    assert.equal(DEFAULT_MAX_SESSIONS, 16);
    assert.equal(o.sessionIdleSeconds, DEFAULT_SESSION_IDLE_SECONDS);
    assert.equal(DEFAULT_SESSION_IDLE_SECONDS, 1800);
    assert.equal(o.mode, 'enforce');
  });

  it('reads HOST:PORT, [IPv6]:PORT and PORT', () => {
    assert.deepEqual(parseListen('localhost:3000'), { host: 'localhost', port: 3000 });
    assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseListen('0.0.0.0:443'), { host: '0.0.0.0', port: 443 });
    assert.deepEqual(parseListen('9000'), { host: '127.0.0.1', port: 9000 });
    for (const bad of ['', ':80', 'host', 'host:', 'host:99999', 'host:-1', '::1:80', 'a:b:80', 'host:8o'])
      assert.throws(() => parseListen(bad), UsageError, bad);
  });

  it('refuses an address other machines can reach without --token-file', () => {
    for (const listen of ['0.0.0.0:8080', '192.168.1.5:8080', '[::]:8080', 'example.com:80']) {
      assert.throws(
        () => parseServeArgs(['--listen', listen, '--', 'node', 's.js']),
        (e: Error) => e instanceof UsageError && /--token-file/.test(e.message),
        listen,
      );
      assert.equal(parseServeArgs(['--listen', listen, '--token-file', 't', '--', 'node', 's.js']).tokenFile, 't');
    }
    for (const listen of ['127.0.0.1:1', '127.5.6.7:1', 'localhost:1', '[::1]:1'])
      assert.doesNotThrow(() => parseServeArgs(['--listen', listen, '--', 'node', 's.js']), listen);
  });

  it('takes --upstream-url instead of a command: the URL stands for the command, its host for the name', () => {
    const o = parseServeArgs(['--listen', '1', '--policy', 'p.yaml', '--upstream-url', 'http://127.0.0.1:3001/mcp']);
    assert.equal(o.upstreamUrl, 'http://127.0.0.1:3001/mcp');
    assert.equal(o.command, 'http://127.0.0.1:3001/mcp');
    assert.deepEqual(o.commandArgs, []);
    assert.equal(o.name, '127.0.0.1:3001');
    assert.equal(o.policy, 'p.yaml');
    assert.equal(parseServeArgs(['--listen', '1', '--name', 'odoo', '--upstream-url=https://mcp.example.com/mcp']).name, 'odoo');
    assert.ok(!('upstreamUrl' in parseServeArgs(['--listen', '1', '--', 'node', 's.js'])));
  });

  it('takes --upstream-header with --upstream-url, ${NAME} from the environment, and hides the query from the logs', () => {
    const o = parseServeArgs(
      ['--listen', '1', '--upstream-url', 'https://x.example/mcp?key=k', '--upstream-header', 'Authorization: Bearer ${T}'],
      { T: 'tok' },
    );
    assert.deepEqual(o.upstreamHeaders, { Authorization: 'Bearer tok' });
    assert.equal(o.command, 'https://x.example/mcp?…');
    assert.equal(o.upstreamUrl, 'https://x.example/mcp?key=k');
    assert.throws(() => parseServeArgs(['--listen', '1', '--upstream-header', 'A: b', '--', 'n']), /goes with --upstream-url/);
    assert.throws(
      () => parseServeArgs(['--listen', '1', '--upstream-url', 'http://x/mcp', '--upstream-header', 'A: ${MISSING_T}'], {}),
      /MISSING_T is not set/,
    );
  });

  it('says what to type instead of a wrong or missing flag', () => {
    const cases: [string[], RegExp][] = [
      [['--', 'node', 's.js'], /needs --listen/],
      [['--listen', '1'], /server command after --/],
      [['--listen', '1', '--upstream-url=http://x/mcp', '--', 'n'], /either --upstream-url URL or the server command/],
      [['--listen', '1', '--upstream-url', 'ftp://x/mcp'], /--upstream-url must be an http/],
      [['--listen', '1', '--upstream-url', 'not a url'], /--upstream-url must be an http/],
      [['--listen', '1', '--upstream-url', 'https://me:secret@x/mcp'], /must not hold a user name or password/],
      [['--upstream-url', 'http://x/mcp'], /needs --listen/],
      [['--listen', '1', '--path', 'mcp', '--', 'n'], /--path must be/],
      [['--listen', '1', '--path', '/healthz', '--', 'n'], /--path must be/],
      [['--listen', '1', '--allow-origin', 'http://x.example/path', '--', 'n'], /--allow-origin must be an origin/],
      [['--listen', '1', '--allow-origin', '*', '--', 'n'], /--allow-origin must be an origin/],
      [['--listen', '1', '--max-sessions', '0', '--', 'n'], /--max-sessions must be/],
      [['--listen', '1', '--session-idle', '0', '--', 'n'], /--session-idle must be/],
      [['--listen', '1', '--mode', 'open', '--', 'n'], /--mode must be/],
    ];
    for (const [argv, message] of cases) assert.throws(() => parseServeArgs(argv), message, argv.join(' '));
  });

  it('is in the usage text with its flags', () => {
    for (const flag of [
      'mcp-guard serve',
      '--listen',
      '--path',
      '--token-file',
      '--allow-origin',
      '--max-sessions',
      '--session-idle',
      '/healthz',
    ])
      assert.ok(USAGE.includes(flag), flag);
  });
});
