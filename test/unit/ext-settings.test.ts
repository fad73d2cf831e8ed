// src/extension/settings.ts: turning the raw `mcpGuard.servers` value into valid entries.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/paths';
import { DEFAULT_SERVERS, parseOtlpEndpoint, parseScanResults, parseServers, parseStateSetting } from '../../src/extension/settings';

describe('extension settings: parseServers', () => {
  it('gives the default Odoo server when the setting is undefined or null', () => {
    for (const raw of [undefined, null]) {
      const { servers, problems } = parseServers(raw);
      assert.deepEqual(problems, []);
      assert.deepEqual(servers, [{ name: 'Odoo', command: 'uvx', args: ['odoo-mcp'], env: {}, odoo: true }]);
    }
  });

  it('returns a copy of the defaults, not the shared constant', () => {
    const { servers } = parseServers(undefined);
    assert.notEqual(servers, DEFAULT_SERVERS);
    servers.push({ name: 'X', command: 'x', args: [], env: {}, odoo: false });
    assert.equal(DEFAULT_SERVERS.length, 1);
  });

  it('an empty list means no servers at all (not the default)', () => {
    assert.deepEqual(parseServers([]), { servers: [], problems: [] });
  });

  it('a value that is not a list gives no servers and one problem', () => {
    for (const raw of [{ name: 'Odoo', command: 'uvx' }, 'uvx odoo-mcp', 42]) {
      const { servers, problems } = parseServers(raw);
      assert.deepEqual(servers, []);
      assert.deepEqual(problems, ['mcpGuard.servers must be a list of servers']);
    }
  });

  it('skips entries without a name or a command and names each by index', () => {
    const { servers, problems } = parseServers([
      { name: 'NoCommand' },
      { command: 'node' },
      { name: '   ', command: 'node' },
      { name: 'Blank', command: '  ' },
      null,
      'a string',
      { name: 42, command: 'node' },
      { name: 'Good', command: 'node' },
    ]);
    assert.deepEqual(
      servers.map((s) => s.name),
      ['Good'],
    );
    assert.deepEqual(problems, [
      'mcpGuard.servers[0] needs a name and a command (or the url of a remote server)',
      'mcpGuard.servers[1] needs a name and a command (or the url of a remote server)',
      'mcpGuard.servers[2] needs a name and a command (or the url of a remote server)',
      'mcpGuard.servers[3] needs a name and a command (or the url of a remote server)',
      'mcpGuard.servers[4] needs a name and a command (or the url of a remote server)',
      'mcpGuard.servers[5] needs a name and a command (or the url of a remote server)',
      'mcpGuard.servers[6] needs a name and a command (or the url of a remote server)',
    ]);
  });

  it('trims name and command', () => {
    const { servers } = parseServers([{ name: '  Mine  ', command: '  node  ' }]);
    assert.equal(servers[0]!.name, 'Mine');
    assert.equal(servers[0]!.command, 'node');
  });

  it('keeps the first of two servers with the same name and reports the second', () => {
    const { servers, problems } = parseServers([
      { name: 'A', command: 'first' },
      { name: 'B', command: 'b' },
      { name: ' A ', command: 'second' },
    ]);
    assert.deepEqual(
      servers.map((s) => [s.name, s.command]),
      [
        ['A', 'first'],
        ['B', 'b'],
      ],
    );
    assert.deepEqual(problems, ['mcpGuard.servers[2]: the name A is used twice; the second is ignored']);
  });

  it('keeps only string args, and defaults args to []', () => {
    const { servers } = parseServers([
      { name: 'A', command: 'node', args: ['x.js', 3, null, '--flag', { a: 1 }] },
      { name: 'B', command: 'node', args: 'x.js' },
      { name: 'C', command: 'node' },
    ]);
    assert.deepEqual(servers[0]!.args, ['x.js', '--flag']);
    assert.deepEqual(servers[1]!.args, []);
    assert.deepEqual(servers[2]!.args, []);
  });

  it('keeps only string env values; a non-object env becomes {}', () => {
    const { servers } = parseServers([
      { name: 'A', command: 'node', env: { KEEP: 'yes', EMPTY: '', NUM: 1, BOOL: true, NUL: null, OBJ: {} } },
      { name: 'B', command: 'node', env: ['X=1'] },
      { name: 'C', command: 'node', env: 'X=1' },
      { name: 'D', command: 'node', env: null },
    ]);
    assert.deepEqual(servers[0]!.env, { KEEP: 'yes', EMPTY: '' });
    assert.deepEqual(servers[1]!.env, {});
    assert.deepEqual(servers[2]!.env, {});
    assert.deepEqual(servers[3]!.env, {});
  });

  it('infers odoo from the command or the args, case-insensitively', () => {
    const { servers } = parseServers([
      { name: 'ByArgs', command: 'uvx', args: ['odoo-mcp'] },
      { name: 'ByCommand', command: '/opt/Odoo/bin/server' },
      { name: 'Neither', command: 'npx', args: ['@modelcontextprotocol/server-everything'] },
      { name: 'Odoo by name only', command: 'node', args: ['server.js'] },
    ]);
    assert.deepEqual(
      servers.map((s) => [s.name, s.odoo]),
      [
        ['ByArgs', true],
        ['ByCommand', true],
        ['Neither', false],
        // the name is not looked at: only the command line
        ['Odoo by name only', false],
      ],
    );
  });

  it('an explicit odoo boolean wins over the inference; a non-boolean is ignored', () => {
    const { servers } = parseServers([
      { name: 'A', command: 'uvx', args: ['odoo-mcp'], odoo: false },
      { name: 'B', command: 'node', args: ['mine.js'], odoo: true },
      { name: 'C', command: 'node', args: ['mine.js'], odoo: 'yes' },
      { name: 'D', command: 'uvx', args: ['odoo-mcp'], odoo: 0 },
    ]);
    assert.deepEqual(
      servers.map((s) => s.odoo),
      [false, true, false, true],
    );
  });

  it('catalog: auto (or absent) adds nothing, odoo-mcp and none are kept, anything else is a problem and reads as none', () => {
    const { servers, problems } = parseServers([
      { name: 'A', command: 'node' },
      { name: 'B', command: 'node', catalog: 'auto' },
      { name: 'C', command: 'node', catalog: 'odoo-mcp' },
      { name: 'D', command: 'node', catalog: 'none' },
      { name: 'E', command: 'uvx', args: ['odoo-mcp'], catalog: 'Odoo-MCP' },
      { name: 'F', command: 'uvx', args: ['odoo-mcp'], catalog: true },
    ]);
    assert.deepEqual(
      servers.map((s) => s.catalog),
      [undefined, undefined, 'odoo-mcp', 'none', 'none', 'none'],
    );
    assert.ok(!('catalog' in servers[0]!));
    assert.equal(problems.length, 2);
    assert.match(problems[0]!, /mcpGuard\.servers\[4\]\.catalog must be "auto", "odoo-mcp", "none", not "Odoo-MCP"; "none" is used/);
  });

  it('trims pinsFile and leaves it out when blank or not a string', () => {
    const { servers } = parseServers([
      { name: 'A', command: 'node', pinsFile: '  .vscode/a.pins.json ' },
      { name: 'B', command: 'node', pinsFile: ' ' },
      { name: 'C', command: 'node', pinsFile: ['x'] },
    ]);
    assert.equal(servers[0]!.pinsFile, '.vscode/a.pins.json');
    for (const s of servers.slice(1)) assert.equal('pinsFile' in s, false, s.name);
  });

  it('trims policyFile and leaves it out when blank or not a string', () => {
    const { servers } = parseServers([
      { name: 'A', command: 'node', policyFile: '  policies/a.yaml  ' },
      { name: 'B', command: 'node', policyFile: '   ' },
      { name: 'C', command: 'node', policyFile: 7 },
      { name: 'D', command: 'node' },
    ]);
    assert.equal(servers[0]!.policyFile, 'policies/a.yaml');
    for (const s of servers.slice(1)) assert.equal('policyFile' in s, false, s.name);
  });

  it('parses a full entry exactly', () => {
    const { servers, problems } = parseServers([
      {
        name: 'Everything',
        command: 'npx',
        args: ['-y', 'everything'],
        env: { A: '1' },
        policyFile: '/abs/p.yaml',
        odoo: false,
        extra: 'ignored',
      },
    ]);
    assert.deepEqual(problems, []);
    assert.deepEqual(servers, [
      { name: 'Everything', command: 'npx', args: ['-y', 'everything'], env: { A: '1' }, policyFile: '/abs/p.yaml', odoo: false },
    ]);
  });
});

describe('extension settings: remote servers (url and headers instead of command)', () => {
  it('takes a url with headers instead of a command; no args, and odoo is off (the remote server has its own connection)', () => {
    const { servers, problems } = parseServers([
      {
        name: 'Odoo remote',
        url: ' https://odoo.example.com/mcp ',
        headers: { Authorization: 'Bearer ${env:ODOO_MCP_TOKEN}', 'X-Tenant': 'acme', 'X-Bad': 42 },
        args: ['ignored'],
        env: { ODOO_MCP_TOKEN: 'from-env' },
        odoo: true,
      },
      { name: 'Plain', url: 'http://127.0.0.1:3001/mcp' },
    ]);
    assert.deepEqual(problems, ['mcpGuard.servers[0].headers.X-Bad must be a string']);
    assert.deepEqual(servers, [{ name: 'Plain', command: '', args: [], url: 'http://127.0.0.1:3001/mcp', env: {}, odoo: false }]);
    const ok = parseServers([
      {
        name: 'Odoo remote',
        url: 'https://odoo.example.com/mcp',
        headers: { Authorization: 'Bearer ${env:ODOO_MCP_TOKEN}', 'X-Tenant': 'acme' },
        env: { ODOO_MCP_TOKEN: 'from-env' },
        odoo: true,
        catalog: 'odoo-mcp',
      },
    ]);
    assert.deepEqual(ok.problems, []);
    assert.deepEqual(ok.servers, [
      {
        name: 'Odoo remote',
        command: '',
        args: [],
        url: 'https://odoo.example.com/mcp',
        headers: { Authorization: 'Bearer ${env:ODOO_MCP_TOKEN}', 'X-Tenant': 'acme' },
        env: { ODOO_MCP_TOKEN: 'from-env' },
        odoo: false,
        catalog: 'odoo-mcp',
      },
    ]);
  });

  it('skips (and names) an entry with both a command and a url, a bad url, or a bad header', () => {
    const { servers, problems } = parseServers([
      { name: 'Both', command: 'node', url: 'http://x/mcp' },
      { name: 'Ftp', url: 'ftp://x/mcp' },
      { name: 'NotUrl', url: 'not a url' },
      { name: 'Creds', url: 'https://me:secret@x/mcp' },
      { name: 'List', url: 'http://x/mcp', headers: ['Authorization: x'] },
      { name: 'BadName', url: 'http://x/mcp', headers: { 'Bad Name': 'x' } },
      { name: 'Inject', url: 'http://x/mcp', headers: { 'X-A': 'x\r\nX-Admin: 1' } },
      { name: 'Input', url: 'http://x/mcp', headers: { Authorization: 'Bearer ${input:token}' } },
      { name: 'Bare', url: 'http://x/mcp', headers: { Authorization: 'Bearer ${TOKEN}' } },
      { name: 'Good', url: 'http://x/mcp', headers: { 'X-Price': '$5' } },
    ]);
    assert.deepEqual(
      servers.map((s) => s.name),
      ['Good'],
    );
    assert.deepEqual(problems, [
      'mcpGuard.servers[0] has both a command and a url: give one',
      'mcpGuard.servers[1].url must be an http:// or https:// URL of an MCP server',
      'mcpGuard.servers[2].url must be an http:// or https:// URL of an MCP server',
      'mcpGuard.servers[3].url must not hold a user name or password; put them in headers',
      'mcpGuard.servers[4].headers must be an object of header names to values',
      'mcpGuard.servers[5].headers: "Bad Name" is not a header name',
      'mcpGuard.servers[6].headers.X-A must not hold a line break or another control character',
      "mcpGuard.servers[7].headers.Authorization: ${input:token} is not supported; write ${env:NAME} to take a value from the environment, or ${secret:NAME} to keep it in VS Code's secret storage",
      "mcpGuard.servers[8].headers.Authorization: ${TOKEN} is not supported; write ${env:NAME} to take a value from the environment, or ${secret:NAME} to keep it in VS Code's secret storage",
    ]);
  });

  it('package.json: a server item takes url and headers, and exactly one of command or url', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const servers = manifest.contributes.configuration.properties['mcpGuard.servers'];
    assert.deepEqual(servers.items.required, ['name']);
    assert.deepEqual(servers.items.oneOf, [{ required: ['command'] }, { required: ['url'] }]);
    assert.equal(servers.items.properties.url.type, 'string');
    assert.deepEqual(servers.items.properties.headers.additionalProperties, { type: 'string' });
  });

  it('headers without a url are named and ignored', () => {
    const { servers, problems } = parseServers([{ name: 'Local', command: 'node', headers: { A: 'b' } }]);
    assert.deepEqual(problems, ['mcpGuard.servers[0].headers go with a url; they are ignored']);
    assert.ok(!('headers' in servers[0]!));
  });
});

describe('extension settings: parseScanResults (mcpGuard.scanResults)', () => {
  it('takes off, flag and redact; unset is redact', () => {
    for (const mode of ['off', 'flag', 'redact'] as const) assert.deepEqual(parseScanResults(mode), { mode });
    assert.deepEqual(parseScanResults(undefined), { mode: 'redact' });
  });

  it('anything else redacts, and says what to set', () => {
    assert.deepEqual(parseScanResults('mask'), {
      mode: 'redact',
      problem: 'mcpGuard.scanResults must be "off", "flag" or "redact", not "mask"; results are redacted',
    });
    assert.equal(parseScanResults(false).mode, 'redact');
  });
});

describe('extension settings: parseOtlpEndpoint (mcpGuard.audit.otlpEndpoint)', () => {
  it('an http(s) URL is passed on; empty or unset is none', () => {
    assert.deepEqual(parseOtlpEndpoint('http://127.0.0.1:4318'), { endpoint: 'http://127.0.0.1:4318' });
    assert.deepEqual(parseOtlpEndpoint(' https://otel.example.com/ '), { endpoint: 'https://otel.example.com/' });
    assert.deepEqual(parseOtlpEndpoint(''), {});
    assert.deepEqual(parseOtlpEndpoint(undefined), {});
  });

  it('anything else is named as a problem and not passed (the guards still start)', () => {
    assert.match(parseOtlpEndpoint('collector:4318').problem!, /^mcpGuard\.audit\.otlpEndpoint must be an http:\/\/ or https:\/\/ URL/);
    assert.match(parseOtlpEndpoint('http://u:p@c:4318').problem!, /user name or password/);
    assert.equal(parseOtlpEndpoint(4318).endpoint, undefined);
    assert.ok(parseOtlpEndpoint(4318).problem);
  });
});

describe('extension settings: parseStateSetting (mcpGuard.state)', () => {
  it('takes memory and redis URLs; unset or blank is memory', () => {
    assert.deepEqual(parseStateSetting('redis://127.0.0.1:6379/0'), { state: 'redis://127.0.0.1:6379/0' });
    assert.deepEqual(parseStateSetting(' redis://redis.internal '), { state: 'redis://redis.internal' });
    for (const raw of [undefined, null, '', '  ', 'memory']) assert.deepEqual(parseStateSetting(raw), { state: 'memory' });
  });

  it('names a value the guard would refuse, and still passes it on, so the guard fails closed', () => {
    const r = parseStateSetting('http://redis:6379');
    assert.equal(r.state, 'http://redis:6379');
    assert.match(r.problem ?? '', /^mcpGuard\.state must be memory or redis:\/\/HOST:PORT\[\/DB\].*the scheme http is not supported/);
    assert.match(parseStateSetting('redis://:secret@redis:6379').problem ?? '', /user name or password/);
  });
});
