// Guarding the servers people already have (issue 14, item 1), without VS Code: the JSONC edits
// (jsonc-edit.ts), reading mcp.json and the mcp settings (mcp-config.ts), which servers are flagged
// (unguarded.ts), the edit plan (guard-plan.ts) and the status bar.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { parse } from 'jsonc-parser';
import { appendToArraySetting, applyEdit, minimalEdit, removeProperty } from '../../src/extension/jsonc-edit';
import {
  cannotMove,
  carryNotes,
  guardedEntry,
  planGuardExisting,
  plannedMessage,
  type SettingsTarget,
} from '../../src/extension/guard-plan';
import { serversIn, type ConfigSource, type ExistingServer } from '../../src/extension/mcp-config';
import { DEFAULT_SERVERS, parseServers, type GuardedServerConfig } from '../../src/extension/settings';
import { statusView } from '../../src/extension/status-text';
import { findUnguarded, runsTheGuard, sameCommand, sameUrl, toolPrefix } from '../../src/extension/unguarded';

const WS_MCP: ConfigSource = { kind: 'workspace-mcp', path: '/ws/.vscode/mcp.json' };
const WS_SETTINGS: ConfigSource = { kind: 'workspace-settings', path: '/ws/.vscode/settings.json' };
const USER_MCP: ConfigSource = { kind: 'user-mcp', path: '/home/u/.config/Code/User/mcp.json' };
const USER_SETTINGS: ConfigSource = { kind: 'user-settings', path: '/home/u/.config/Code/User/settings.json' };

const MCP_JSON = `{
  // Servers for this project
  "servers": {
    // Odoo, straight: no guard
    "Odoo": {
      "type": "stdio",
      "command": "uvx",
      "args": ["odoo-mcp"],
      "env": { "ODOO_URL": "https://example.odoo.com", "ODOO_PASSWORD": "\${input:odoo-password}" },
    }, // end of Odoo
    "Files": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "."] },
    "Remote": { "type": "http", "url": "https://mcp.example.com/mcp" },
  },
  "inputs": [{ "type": "promptString", "id": "odoo-password", "password": true }],
}
`;

const WS_SETTINGS_JSON = `{
\t// Our settings
\t"editor.tabSize": 2,
\t"mcpGuard.servers": [
\t\t{ "name": "Odoo", "command": "uvx", "args": ["odoo-mcp"], "odoo": true }
\t],
}
`;

function server(over: Partial<ExistingServer> & { name: string }): ExistingServer {
  return { source: WS_MCP, transport: 'stdio', command: 'uvx', args: [], env: {}, headers: {}, variables: [], ...over };
}

function jsonc(text: string): unknown {
  const errors: unknown[] = [];
  const value = parse(text, errors as never[], { allowTrailingComma: true });
  assert.deepEqual(errors, [], `not valid JSONC:\n${text}`);
  return value;
}

describe('extension, existing servers: JSONC edits keep the rest of the file', () => {
  it('removes a server with its comma and end-of-line comment, keeping every other comment and line', () => {
    const edit = removeProperty(MCP_JSON, ['servers', 'Odoo']);
    assert.ok(edit);
    const after = applyEdit(MCP_JSON, edit);
    assert.equal(after, MCP_JSON.replace(/ {4}"Odoo": \{[\s\S]*?\/\/ end of Odoo\n/, ''));
    assert.match(after, /\/\/ Servers for this project/);
    assert.deepEqual(Object.keys((jsonc(after) as { servers: object }).servers), ['Files', 'Remote']);
  });

  it('removes the last server without a trailing comma, and the comma before it', () => {
    const text = '{\n\t"servers": {\n\t\t"A": {"command": "a"},\n\t\t// about B\n\t\t"B": {"command": "b"}\n\t}\n}\n';
    const after = applyEdit(text, removeProperty(text, ['servers', 'B'])!);
    assert.equal(after, '{\n\t"servers": {\n\t\t"A": {"command": "a"}\n\t\t// about B\n\t}\n}\n');
    assert.deepEqual(jsonc(after), { servers: { A: { command: 'a' } } });
  });

  it('removes whole lines with their end-of-line comment in a CRLF file too', () => {
    const text = '{\r\n  "servers": {\r\n    "A": {"command": "a"}, // about A\r\n    "B": {"command": "b"} // about B\r\n  }\r\n}\r\n';
    assert.equal(
      applyEdit(text, removeProperty(text, ['servers', 'A'])!),
      '{\r\n  "servers": {\r\n    "B": {"command": "b"} // about B\r\n  }\r\n}\r\n',
    );
    assert.equal(
      applyEdit(text, removeProperty(text, ['servers', 'B'])!),
      '{\r\n  "servers": {\r\n    "A": {"command": "a"} // about A\r\n  }\r\n}\r\n',
    );
  });

  it('works on one line too, and says when there is nothing to remove', () => {
    const text = '{ "servers": { "A": {"command":"a"}, "B": {"command": "b"} } }';
    assert.equal(applyEdit(text, removeProperty(text, ['servers', 'A'])!), '{ "servers": { "B": {"command": "b"} } }');
    assert.deepEqual(jsonc(applyEdit(text, removeProperty(text, ['servers', 'B'])!)), { servers: { A: { command: 'a' } } });
    assert.equal(removeProperty(text, ['servers', 'C']), undefined);
    assert.equal(removeProperty('not json', ['servers', 'A']), undefined);
  });

  it('appends to a list in the file, indented like it, after a trailing comment', () => {
    const r = appendToArraySetting(WS_SETTINGS_JSON, 'mcpGuard.servers', [{ name: 'N', command: 'c' }], []);
    assert.ok(r.ok);
    const after = applyEdit(WS_SETTINGS_JSON, r.edit);
    assert.equal(
      after,
      WS_SETTINGS_JSON.replace('"odoo": true }\n', '"odoo": true },\n\t\t{\n\t\t\t"name": "N",\n\t\t\t"command": "c"\n\t\t}\n'),
    );
    const commented = '{\n  "a": 1, // one\n  "list": ["x"] // the list\n}';
    const r2 = appendToArraySetting(commented, 'list', ['y'], []);
    assert.ok(r2.ok);
    assert.deepEqual(jsonc(applyEdit(commented, r2.edit)), { a: 1, list: ['x', 'y'] });
    assert.match(applyEdit(commented, r2.edit), /\/\/ one\n/);
  });

  it('adds the setting with the whole list when the file lacks it, or the file when there is none', () => {
    const text = '{\n  "a": 1, // keep\n}\n';
    const r = appendToArraySetting(text, 'mcpGuard.servers', [{ name: 'N' }], [{ name: 'D' }, { name: 'N' }]);
    assert.ok(r.ok);
    const after = applyEdit(text, r.edit);
    assert.equal(
      after,
      '{\n  "a": 1, // keep\n  "mcpGuard.servers": [\n    {\n      "name": "D"\n    },\n    {\n      "name": "N"\n    }\n  ],\n}\n',
    );
    for (const empty of ['', '{}', '{\n}\n']) {
      const e = appendToArraySetting(empty, 'k', [1], [1]);
      assert.ok(e.ok);
      assert.deepEqual(jsonc(applyEdit(empty, e.edit)), { k: [1] }, JSON.stringify(empty));
    }
    const emptyList = appendToArraySetting('{ "k": [] }', 'k', [1, 2], []);
    assert.ok(emptyList.ok);
    assert.deepEqual(jsonc(applyEdit('{ "k": [] }', emptyList.edit)), { k: [1, 2] });
  });

  it('refuses a file that is not an object or a setting that is not a list', () => {
    assert.deepEqual(appendToArraySetting('[1]', 'k', [1], [1]), { ok: false, message: 'it is not a JSON object' });
    assert.deepEqual(appendToArraySetting('{"k": {}}', 'k', [1], [1]), { ok: false, message: '"k" in it is not a list' });
  });

  it('one minimal replacement turns the old text into the new', () => {
    for (const [a, b] of [
      ['abcdef', 'abXYef'],
      ['abc', 'abc'],
      ['', 'x'],
      ['aaa', 'aa'],
      ['{ "a": 1 }', '{ "a": 1, "b": 2 }'],
    ] as const) {
      const e = minimalEdit(a, b);
      assert.equal(applyEdit(a, e), b);
      assert.ok(e.length + e.content.length <= Math.max(a.length, b.length), JSON.stringify(e));
    }
  });
});

describe('extension, existing servers: reading mcp.json and the mcp settings', () => {
  it('reads stdio and remote servers of a commented mcp.json, with their variables', () => {
    const { servers, problem } = serversIn(MCP_JSON, WS_MCP);
    assert.equal(problem, undefined);
    assert.deepEqual(
      servers.map((s) => [s.name, s.transport, s.command, s.args, s.variables]),
      [
        ['Odoo', 'stdio', 'uvx', ['odoo-mcp'], ['${input:odoo-password}']],
        ['Files', 'stdio', 'npx', ['-y', '@modelcontextprotocol/server-filesystem', '.'], []],
        ['Remote', 'remote', '', [], []],
      ],
    );
    assert.deepEqual(servers[0]?.env, { ODOO_URL: 'https://example.odoo.com', ODOO_PASSWORD: '${input:odoo-password}' });
    assert.equal(servers[2]?.url, 'https://mcp.example.com/mcp');
  });

  it('reads the servers of the mcp section of a settings file, and envFile and cwd', () => {
    const text =
      '{ "mcp": { "servers": { "Odoo": { "command": "uvx", "args": ["odoo-mcp"], "envFile": "${workspaceFolder}/.env", "cwd": "/srv" } } } }';
    const [s] = serversIn(text, USER_SETTINGS).servers;
    assert.deepEqual([s?.name, s?.envFile, s?.cwd, s?.source], ['Odoo', '${workspaceFolder}/.env', '/srv', USER_SETTINGS]);
    assert.deepEqual(serversIn('{ "servers": { "A": { "command": "a" } } }', USER_SETTINGS).servers, [], 'settings keep them under mcp');
  });

  it('finds nothing in a missing or empty file, and names a file that is not an object', () => {
    assert.deepEqual(serversIn(undefined, WS_MCP), { servers: [] });
    assert.deepEqual(serversIn('  ', WS_MCP), { servers: [] });
    assert.deepEqual(serversIn('{ "servers": { "bad": 3, "none": {} } }', WS_MCP), { servers: [] });
    assert.match(serversIn('[]', WS_MCP).problem ?? '', /\/ws\/\.vscode\/mcp\.json is not valid JSON with comments; fix it/);
  });
});

describe('extension, existing servers: which are flagged', () => {
  const guarded = (over: Partial<GuardedServerConfig> = {}): GuardedServerConfig => ({ ...DEFAULT_SERVERS[0]!, ...over });

  it("flags a server that runs a guarded server's command, in the issue's words", () => {
    const [f, ...rest] = findUnguarded({
      servers: serversIn(MCP_JSON, WS_MCP).servers,
      guarded: [guarded()],
      lmTools: [],
      reported: new Map(),
    });
    assert.deepEqual(rest, [], 'the filesystem server runs another command; the remote one has no tools listed');
    assert.equal(f?.server.name, 'Odoo');
    assert.equal(f?.because, 'command');
    assert.equal(f?.key, '/ws/.vscode/mcp.json#Odoo');
    assert.equal(f?.message, 'Odoo in .vscode/mcp.json is not guarded: agents can call cancel_async_task without the policy');
  });

  it('names the riskiest tool the guarded twin reported, else says which guarded server it doubles', () => {
    const s = server({ name: 'Mine', command: '/usr/bin/node', args: ['server.js'] });
    const twin = guarded({ name: 'Local', command: 'node', args: ['server.js'], odoo: false });
    const reported = new Map([['Local', ['health_check', 'chatter_post', 'search_read']]]);
    assert.equal(
      findUnguarded({ servers: [s], guarded: [twin], lmTools: [], reported })[0]?.message,
      'Mine in .vscode/mcp.json is not guarded: agents can call chatter_post without the policy',
    );
    assert.equal(
      findUnguarded({ servers: [s], guarded: [twin], lmTools: [], reported: new Map() })[0]?.message,
      'Mine in .vscode/mcp.json is not guarded: it runs the same command as "Local (guarded)" without the policy',
    );
  });

  it('flags a server whose listed tools include high or critical tools, and only those', () => {
    const s = server({ name: 'Odoo Prod', command: 'python', args: ['-m', 'odoo_mcp'], source: USER_MCP });
    const prefix = toolPrefix('Odoo Prod');
    assert.equal(prefix, 'mcp_odoo_prod_');
    const flagged = findUnguarded({
      servers: [s],
      guarded: [guarded()],
      lmTools: [`${prefix}search_read`, `${prefix}execute_method`, `${prefix}chatter_post`, 'mcp_other_cancel_async_task'],
      reported: new Map(),
    });
    assert.equal(flagged[0]?.because, 'tools');
    assert.equal(flagged[0]?.message, 'Odoo Prod in your mcp.json is not guarded: agents can call execute_method without the policy');
    const readOnly = findUnguarded({
      servers: [s],
      guarded: [],
      lmTools: [`${prefix}search_read`, `${prefix}get_model_fields`],
      reported: new Map(),
    });
    assert.deepEqual(readOnly, [], 'low risk tools only: no warning');
  });

  it("does not take a guarded server's tools for those of a server whose name starts its label", () => {
    const s = server({ name: 'Odoo', command: 'python', args: ['x.py'] });
    const lmTools = [`${toolPrefix('Odoo (guarded)')}cancel_async_task`];
    assert.equal(toolPrefix('Odoo (guarded)'), 'mcp_odoo_guarded__');
    assert.deepEqual(findUnguarded({ servers: [s], guarded: [guarded({ command: 'uvx' })], lmTools, reported: new Map() }), []);
  });

  it('cuts long names as VS Code does', () => {
    assert.equal(toolPrefix('A very long server name'), 'mcp_a_very_long_s_');
    assert.equal(toolPrefix('odoo-mcp.v2'), 'mcp_odoo-mcp.v2_');
  });

  it('leaves alone servers that run MCP Guard on the command line, and remote ones without listed tools', () => {
    const cli = server({ name: 'Odoo', command: 'npx', args: ['mcp-guard', 'run', '--', 'uvx', 'odoo-mcp'] });
    assert.equal(runsTheGuard(cli), true);
    assert.equal(runsTheGuard(server({ name: 'x', command: 'node', args: ['/x/dist/mcp-guard.js', 'run'] })), true);
    assert.deepEqual(findUnguarded({ servers: [cli], guarded: [guarded()], lmTools: [], reported: new Map() }), []);
    const remote = server({ name: 'Remote', transport: 'remote', command: '', url: 'https://x' });
    assert.deepEqual(findUnguarded({ servers: [remote], guarded: [guarded()], lmTools: [], reported: new Map() }), []);
    const withTools = findUnguarded({ servers: [remote], guarded: [], lmTools: ['mcp_remote_execute_method'], reported: new Map() });
    assert.match(
      withTools[0]?.message ?? '',
      /^Remote in \.vscode\/mcp\.json is not guarded: agents can call execute_method without the policy$/,
    );
    const sse = server({ name: 'Old', transport: 'remote', command: '', url: 'https://x/sse', sse: true });
    assert.match(
      findUnguarded({ servers: [sse], guarded: [], lmTools: ['mcp_old_execute_method'], reported: new Map() })[0]?.message ?? '',
      /without the policy \(it uses the legacy SSE transport, which MCP Guard cannot guard: give it type "http" if the server serves that\)$/,
    );
  });

  it('flags a remote server that reaches the URL of a guarded remote server (not of a local one)', () => {
    const remote = server({ name: 'Odoo', transport: 'remote', command: '', url: 'HTTPS://Odoo.Example.com:443/mcp/' });
    const guardedRemote = guarded({ name: 'Odoo remote', command: '', url: 'https://odoo.example.com/mcp', odoo: false });
    const [f] = findUnguarded({ servers: [remote], guarded: [guardedRemote], lmTools: [], reported: new Map() });
    assert.equal(f?.because, 'command');
    assert.equal(
      f?.message,
      'Odoo in .vscode/mcp.json is not guarded: it reaches the same server as "Odoo remote (guarded)" without the policy',
    );
    assert.deepEqual(findUnguarded({ servers: [remote], guarded: [guardedRemote], lmTools: [], reported: new Map() }).length, 1);
    assert.ok(!sameUrl('https://odoo.example.com/mcp', 'https://odoo.example.com/other'));
    const other = server({ name: 'Other', transport: 'remote', command: '', url: 'https://elsewhere.example.com/mcp' });
    assert.deepEqual(findUnguarded({ servers: [other], guarded: [guardedRemote], lmTools: [], reported: new Map() }), []);
    // A local server running the same program as nothing remote: a remote guarded entry is no twin of a stdio server.
    const local = server({ name: 'Local', command: '', args: [] });
    assert.deepEqual(findUnguarded({ servers: [local], guarded: [guardedRemote], lmTools: [], reported: new Map() }), []);
  });

  it('compares commands by program and arguments', () => {
    assert.ok(sameCommand({ command: '/usr/local/bin/uvx', args: ['odoo-mcp'] }, { command: 'uvx', args: ['odoo-mcp'] }));
    assert.ok(sameCommand({ command: 'C:\\bin\\uvx.exe', args: ['odoo-mcp'] }, { command: 'uvx', args: ['odoo-mcp'] }));
    assert.ok(!sameCommand({ command: 'uvx', args: ['odoo-mcp', '--x'] }, { command: 'uvx', args: ['odoo-mcp'] }));
    assert.ok(!sameCommand({ command: 'uv', args: ['odoo-mcp'] }, { command: 'uvx', args: ['odoo-mcp'] }));
  });
});

describe('extension, existing servers: the edit plan', () => {
  const files = new Map<string, string>([
    [WS_MCP.path, MCP_JSON],
    [WS_SETTINGS.path, WS_SETTINGS_JSON],
  ]);
  const read = (path: string) => files.get(path);
  const wsTarget: SettingsTarget = { path: WS_SETTINGS.path, inherited: [], inheritedIsDefault: true };
  const userTarget: SettingsTarget = {
    path: USER_SETTINGS.path,
    inherited: [{ name: 'Odoo', command: 'uvx', args: ['odoo-mcp'], odoo: true }],
    inheritedIsDefault: true,
  };
  const found = serversIn(MCP_JSON, WS_MCP).servers;
  const odoo = found.find((s) => s.name === 'Odoo')!;
  const fs = found.find((s) => s.name === 'Files')!;

  it('moves workspace servers from .vscode/mcp.json to the workspace mcpGuard.servers, as the same command, args and env', () => {
    const plan = planGuardExisting({ picked: [odoo, fs], read, workspace: wsTarget, user: userTarget });
    assert.ok(plan.ok);
    assert.deepEqual(
      plan.files.map((f) => f.path),
      [WS_MCP.path, WS_SETTINGS.path],
    );
    const [mcp, settings] = plan.files;
    assert.equal(applyEdit(mcp!.before, mcp!.edit), mcp!.after);
    const left = jsonc(mcp!.after) as { servers: object; inputs: unknown[] };
    assert.deepEqual(Object.keys(left.servers), ['Remote']);
    assert.equal(left.inputs.length, 1, 'the inputs stay: other servers may use them');
    assert.match(mcp!.after, /\/\/ Servers for this project/);
    const list = (jsonc(settings!.after) as Record<string, unknown>)['mcpGuard.servers'] as unknown[];
    // The name "Odoo" is taken in the file's own list: the moved server gets a number.
    assert.deepEqual(list.slice(1), [
      {
        name: 'Odoo 2',
        command: 'uvx',
        args: ['odoo-mcp'],
        env: { ODOO_URL: 'https://example.odoo.com', ODOO_PASSWORD: '${input:odoo-password}' },
        odoo: false,
      },
      { name: 'Files', command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '.'], odoo: false },
    ]);
    assert.match(settings!.after, /\/\/ Our settings/);
    assert.deepEqual(
      plan.moved.map((m) => [m.name, m.label, m.settings]),
      [
        ['Odoo 2', 'Odoo 2 (guarded)', WS_SETTINGS.path],
        ['Files', 'Files (guarded)', WS_SETTINGS.path],
      ],
    );
    // What the extension reads back from the saved settings runs the same command, without asking for Odoo credentials.
    const { servers, problems } = parseServers(list);
    assert.deepEqual(problems, []);
    assert.deepEqual(servers[1], { name: 'Odoo 2', command: 'uvx', args: ['odoo-mcp'], env: odoo.env, odoo: false });
  });

  it('flags ${input:...} variables, envFile and cwd, which do not carry over as they were', () => {
    assert.deepEqual(carryNotes(odoo), [
      "${input:odoo-password} stays as written: MCP Guard does not ask for VS Code's inputs, so replace it in mcpGuard.servers before starting the server (a secret is better kept out of settings)",
    ]);
    const other = server({ name: 'x', variables: ['${workspaceFolder}'], envFile: '.env', cwd: '/srv' });
    assert.deepEqual(carryNotes(other), [
      '${workspaceFolder} stays as written: MCP Guard passes variables to the server unresolved',
      'envFile .env is not carried over: copy its variables into "env"',
      'cwd /srv is not carried over: guarded servers start in the workspace folder',
    ]);
    assert.deepEqual(carryNotes(fs), []);
    assert.deepEqual(guardedEntry(fs, 'Files'), { name: 'Files', command: 'npx', args: fs.args, odoo: false });
  });

  it("moves a user server to the user settings; a same-named default entry yields, the user's own list is copied into a workspace one", () => {
    const userMcp = '{\n  "servers": {\n    "Odoo": { "command": "uvx", "args": ["odoo-mcp"] }\n  }\n}\n';
    const userFiles = new Map([[USER_MCP.path, userMcp]]);
    const [userOdoo] = serversIn(userMcp, USER_MCP).servers;
    const plan = planGuardExisting({ picked: [userOdoo!], read: (p) => userFiles.get(p), workspace: wsTarget, user: userTarget });
    assert.ok(plan.ok);
    const settings = plan.files.find((f) => f.path === USER_SETTINGS.path)!;
    assert.equal(settings.exists, false, 'a user settings file to create');
    assert.deepEqual(jsonc(settings.after), { 'mcpGuard.servers': [{ name: 'Odoo', command: 'uvx', args: ['odoo-mcp'], odoo: false }] });
    assert.deepEqual(jsonc(plan.files.find((f) => f.path === USER_MCP.path)!.after), { servers: {} });

    // A workspace settings file without mcpGuard.servers: the user's list comes along, since a workspace value replaces it.
    const bare = new Map([
      [WS_MCP.path, MCP_JSON],
      [WS_SETTINGS.path, '{\n  "editor.tabSize": 2\n}\n'],
    ]);
    const mine = [{ name: 'GitHub', command: 'npx', args: ['gh-mcp'] }];
    const p2 = planGuardExisting({
      picked: [fs],
      read: (p) => bare.get(p),
      workspace: { path: WS_SETTINGS.path, inherited: mine, inheritedIsDefault: false },
      user: userTarget,
    });
    assert.ok(p2.ok);
    assert.deepEqual((jsonc(p2.files[1]!.after) as Record<string, unknown>)['mcpGuard.servers'], [
      ...mine,
      { name: 'Files', command: 'npx', args: fs.args, odoo: false },
    ]);
  });

  it('a server of the workspace settings moves within the same file: out of mcp.servers, into mcpGuard.servers', () => {
    const text =
      '{\r\n  "mcp": {\r\n    "servers": {\r\n      "Local": { "command": "node", "args": ["s.js"] }\r\n    }\r\n  },\r\n  "editor.tabSize": 2\r\n}\r\n';
    const [local] = serversIn(text, WS_SETTINGS).servers;
    const plan = planGuardExisting({
      picked: [local!],
      read: (p) => (p === WS_SETTINGS.path ? text : undefined),
      workspace: wsTarget,
      user: userTarget,
    });
    assert.ok(plan.ok);
    assert.equal(plan.files.length, 1);
    const [file] = plan.files;
    assert.equal(applyEdit(file!.before, file!.edit), file!.after);
    assert.deepEqual(jsonc(file!.after), {
      mcp: { servers: {} },
      'editor.tabSize': 2,
      'mcpGuard.servers': [{ name: 'Local', command: 'node', args: ['s.js'], odoo: false }],
    });
    assert.ok(!/[^\r]\n/.test(file!.after), 'the file keeps its CRLF line ends');
  });

  it('moves a remote server with its url and headers; ${env:NAME} headers carry over, as the guard fills them', () => {
    const text =
      '{\n  "servers": {\n    "Remote": { "type": "http", "url": "https://mcp.example.com/mcp", ' +
      '"headers": { "Authorization": "Bearer ${env:ODOO_TOKEN}", "X-Tenant": "acme" } }\n  }\n}\n';
    const [remote] = serversIn(text, WS_MCP).servers;
    assert.deepEqual(remote?.headers, { Authorization: 'Bearer ${env:ODOO_TOKEN}', 'X-Tenant': 'acme' });
    assert.deepEqual(carryNotes(remote!), []);
    assert.equal(cannotMove(remote!), undefined);
    const files = new Map([[WS_MCP.path, text]]);
    const plan = planGuardExisting({ picked: [remote!], read: (p) => files.get(p), workspace: wsTarget, user: userTarget });
    assert.ok(plan.ok);
    const list = (jsonc(plan.files.find((f) => f.path === WS_SETTINGS.path)!.after) as Record<string, unknown[]>)['mcpGuard.servers']!;
    const entry = {
      name: 'Remote',
      url: 'https://mcp.example.com/mcp',
      headers: { Authorization: 'Bearer ${env:ODOO_TOKEN}', 'X-Tenant': 'acme' },
      odoo: false,
    };
    assert.deepEqual(list.at(-1), entry);
    assert.deepEqual(jsonc(plan.files.find((f) => f.path === WS_MCP.path)!.after), { servers: {} });
    assert.equal(plan.moved[0]?.label, 'Remote (guarded)');
    // What the extension reads back from the saved settings guards the same URL with the same headers.
    const { servers, problems } = parseServers([entry]);
    assert.deepEqual(problems, []);
    assert.deepEqual(servers[0], { name: 'Remote', command: '', args: [], url: entry.url, headers: entry.headers, env: {}, odoo: false });
  });

  it('refuses what it cannot do, saying what to do next', () => {
    const remote = (raw: string) => serversIn(`{ "servers": { "R": ${raw} } }`, WS_MCP).servers[0]!;
    const refusal = (raw: string) => {
      const plan = planGuardExisting({ picked: [remote(raw)], read, workspace: wsTarget, user: userTarget });
      return plan.ok ? 'moved' : plan.message;
    };
    assert.equal(
      refusal('{ "type": "sse", "url": "https://x.example.com/sse" }'),
      'R uses the legacy SSE transport (type "sse"), which MCP Guard does not speak: if the server also serves Streamable HTTP, change its type to "http" and run the command again.',
    );
    assert.equal(
      refusal('{ "type": "http", "url": "https://me:pw@x.example.com/mcp" }'),
      'R cannot be guarded as it is: its url must not hold a user name or password; put them in headers. Change it and run the command again.',
    );
    assert.equal(
      refusal('{ "type": "http", "url": "https://x.example.com/mcp", "headers": { "Authorization": "${TOKEN}" } }'),
      "R cannot be guarded as it is: its headers.Authorization: ${TOKEN} is not supported; write ${env:NAME} to take a value from the environment, or ${secret:NAME} to keep it in VS Code's secret storage. Change it and run the command again.",
    );
    // VS Code's input (a password prompt) becomes MCP Guard's secret: asked for once, kept in secret storage.
    const withInput = remote(
      '{ "type": "http", "url": "https://x.example.com/mcp", "headers": { "Authorization": "Bearer ${input:token}" } }',
    );
    assert.equal(cannotMove(withInput), undefined);
    assert.deepEqual(guardedEntry(withInput, 'R'), {
      name: 'R',
      url: 'https://x.example.com/mcp',
      headers: { Authorization: 'Bearer ${secret:token}' },
      odoo: false,
    });
    assert.deepEqual(carryNotes(withInput), [
      "${input:token} in its headers becomes ${secret:token}: MCP Guard asks for it once, when the server starts, and keeps it in VS Code's secret storage",
    ]);
    assert.equal(
      refusal('{ "type": "http", "url": "https://x.example.com/${input:path}" }'),
      "R's url holds ${input:path}, which MCP Guard cannot fill in: write the URL out and run the command again.",
    );
    assert.match(
      (planGuardExisting({ picked: [odoo], read, workspace: undefined, user: userTarget }) as { message: string }).message,
      /trust the workspace first/,
    );
    assert.deepEqual(planGuardExisting({ picked: [odoo], read: () => '{ "servers": {} }', workspace: wsTarget, user: userTarget }), {
      ok: false,
      message: 'Odoo is no longer in /ws/.vscode/mcp.json: run the command again.',
    });
    const broken = new Map([
      [WS_MCP.path, MCP_JSON],
      [WS_SETTINGS.path, '{ "mcpGuard.servers": {} }'],
    ]);
    assert.match(
      (planGuardExisting({ picked: [fs], read: (p) => broken.get(p), workspace: wsTarget, user: userTarget }) as { message: string })
        .message,
      /cannot add to \/ws\/\.vscode\/settings\.json: "mcpGuard\.servers" in it is not a list\. Fix the file/,
    );
  });

  it('says what moves and how to apply it', () => {
    const plan = planGuardExisting({ picked: [fs], read, workspace: wsTarget, user: userTarget });
    assert.ok(plan.ok);
    assert.equal(
      plannedMessage(plan.moved, plan.files, false),
      'MCP Guard: Files (.vscode/mcp.json) as "Files (guarded)" will run behind the guard. Review and save the 2 files to apply it (File: Save All); Undo reverts it.',
    );
    assert.match(plannedMessage(plan.moved, plan.files, true), /Auto save is on/);
  });
});

describe('extension, existing servers: the status bar', () => {
  it('counts the unguarded servers, lists them in the tooltip with what to run, and turns amber', () => {
    const message = 'Odoo in .vscode/mcp.json is not guarded: agents can call cancel_async_task without the policy';
    const view = statusView({ mode: 'enforce', blocked: 0, trusted: true, guards: 1, unguarded: [message] });
    assert.equal(view.text, '$(shield) Enforce · $(warning) 1 unguarded');
    assert.ok(view.tooltip.includes(`${message}\nRun "MCP Guard: Guard Existing Servers…" to move it behind the guard.`), view.tooltip);
    assert.equal(view.background, 'statusBarItem.warningBackground');
    const none = statusView({ mode: 'enforce', blocked: 0, trusted: true, guards: 1, unguarded: [] });
    assert.equal(none.text, '$(shield) Enforce');
    assert.equal(none.background, undefined);
  });
});

describe('extension, existing servers: JSONC edits on any layout (property tests)', () => {
  const keyArb = fc.stringMatching(/^[A-Za-z][A-Za-z0-9 _-]{0,8}$/);
  const layoutArb = fc.record({
    unit: fc.constantFrom('  ', '    ', '\t'),
    eol: fc.constantFrom('\n', '\r\n'),
    trailingComma: fc.boolean(),
    comments: fc.boolean(),
    oneLine: fc.boolean(),
  });
  type Layout = { unit: string; eol: string; trailingComma: boolean; comments: boolean; oneLine: boolean };

  /** `{"servers": {...}}` written in the given layout, each property with a comment naming it (when comments are on; the dot ends the name, so none is found inside another). */
  function render(keys: readonly string[], l: Layout): string {
    const props = keys.map((k, i) => `${JSON.stringify(k)}: {"command": "c${i}", "args": ["a"]}`);
    if (l.oneLine) return `{ "servers": { ${props.join(', ')}${l.trailingComma && props.length ? ',' : ''} } }${l.eol}`;
    const inner = props.map((p, i) => {
      const comma = i < props.length - 1 || l.trailingComma ? ',' : '';
      return `${l.unit}${l.unit}${p}${comma}${l.comments ? ` // about ${keys[i]}.` : ''}`;
    });
    return ['{', `${l.unit}// mine`, `${l.unit}"servers": {`, ...inner, `${l.unit}}`, '}', ''].join(l.eol);
  }

  it('removing a server leaves exactly the others, their comments and the line ends', () => {
    fc.assert(
      fc.property(fc.uniqueArray(keyArb, { minLength: 1, maxLength: 6 }), layoutArb, fc.nat(), (keys, layout, n) => {
        const text = render(keys, layout);
        const gone = keys[n % keys.length]!;
        const edit = removeProperty(text, ['servers', gone]);
        assert.ok(edit);
        const after = applyEdit(text, edit);
        const servers = (jsonc(after) as { servers: Record<string, unknown> }).servers;
        assert.deepEqual(
          Object.keys(servers),
          keys.filter((k) => k !== gone),
        );
        if (layout.comments && !layout.oneLine) {
          for (const k of keys) assert.equal(after.includes(`// about ${k}.`), k !== gone, `${k} in\n${after}`);
        }
        if (layout.eol === '\r\n') assert.ok(!/[^\r]\n/.test(after), JSON.stringify(after));
      }),
      { numRuns: 300 },
    );
  });

  it('appending to mcpGuard.servers keeps every other setting and adds the entries last', () => {
    fc.assert(
      fc.property(fc.uniqueArray(keyArb, { maxLength: 5 }), fc.nat({ max: 3 }), layoutArb, (keys, existing, layout) => {
        const list = Array.from({ length: existing }, (_, i) => ({ name: `S${i}` }));
        const settings: Record<string, unknown> = Object.fromEntries(keys.map((k, i) => [k, i]));
        if (existing > 0) settings['mcpGuard.servers'] = list;
        const entries = Object.entries(settings).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);
        const text = layout.oneLine
          ? `{ ${entries.join(', ')}${layout.trailingComma && entries.length ? ',' : ''} }`
          : [
              '{',
              ...entries.map(
                (e, i) => `${layout.unit}${e}${i < entries.length - 1 || layout.trailingComma ? ',' : ''}${layout.comments ? ' // c' : ''}`,
              ),
              '}',
              '',
            ].join(layout.eol);
        const added = [{ name: 'New', command: 'x', args: [] }];
        const r = appendToArraySetting(text, 'mcpGuard.servers', added, [{ name: 'Default' }, ...added]);
        assert.ok(r.ok);
        const after = jsonc(applyEdit(text, r.edit)) as Record<string, unknown>;
        for (const k of keys) assert.equal(after[k], settings[k]);
        assert.deepEqual(after['mcpGuard.servers'], existing > 0 ? [...list, ...added] : [{ name: 'Default' }, ...added]);
      }),
      { numRuns: 300 },
    );
  });
});
