import { strict as assert } from 'node:assert';
import { catalogBinding, commandStartsOdooMcp, ODOO_MCP_SERVER_NAMES, serverInfoName } from '../../src/guard/catalog/identity';
import { ODOO_MCP_SERVER } from '../../src/guard/catalog/odoo-tools';
import { identity } from '../../src/demo/odoo-standin/identity';

describe('catalog by server identity', () => {
  it("knows odoo-mcp by the real server's serverInfo name and by the stand-in's (tests and demo)", () => {
    assert.ok(ODOO_MCP_SERVER_NAMES.includes(ODOO_MCP_SERVER.name));
    for (const demo of [false, true]) {
      const b = catalogBinding('auto', identity(demo).serverInfo.name, false);
      assert.equal(b.use.kind, 'own', identity(demo).serverInfo.name);
    }
  });

  it('auto: a server that names itself otherwise is another server, even with an odoo-mcp command; exact names only', () => {
    for (const name of ['odoo-mcp ', 'Odoo-MCP', 'odoo mcp server', 'Odoo MCP Server (fork)', 'оdoo-mcp', '']) {
      const b = catalogBinding('auto', name, true);
      assert.equal(b.use.kind, 'name-match', JSON.stringify(name));
      assert.match(b.why, /not odoo-mcp/);
    }
  });

  it('auto: with no serverInfo name, the command decides; before any answer, the name-match', () => {
    assert.equal(catalogBinding('auto', undefined, true).use.kind, 'own');
    assert.equal(catalogBinding('auto', undefined, false).use.kind, 'name-match');
  });

  it('a forced choice wins over what the server says', () => {
    assert.equal(catalogBinding('odoo-mcp', 'something else', false).use.kind, 'own');
    assert.equal(catalogBinding('none', 'odoo-mcp-demo', true).use.kind, 'name-match');
  });

  it('reads serverInfo.name only when it is a string', () => {
    assert.equal(serverInfoName({ serverInfo: { name: 'odoo-mcp', version: '1' } }), 'odoo-mcp');
    for (const r of [null, 1, {}, { serverInfo: null }, { serverInfo: { name: 7 } }, { serverInfo: 'odoo-mcp' }])
      assert.equal(serverInfoName(r), undefined, JSON.stringify(r));
  });

  it('tells odoo-mcp commands apart from others', () => {
    const yes: [string, string[]][] = [
      ['uvx', ['odoo-mcp']],
      ['uvx', ['odoo-mcp@1.3.0']],
      ['uvx', ['--from', 'odoo-mcp==1.3.0', 'odoo-mcp']],
      ['pipx', ['run', 'odoo-mcp']],
      ['/home/u/.venv/bin/odoo-mcp', []],
      ['odoo-mcp', ['--verbose']],
      ['python3', ['-m', 'odoo_mcp']],
    ];
    const no: [string, string[]][] = [
      ['node', ['odoo-mcp']],
      ['node', ['server.js']],
      ['uvx', ['odoo-mcp-fork']],
      ['uvx', ['my-odoo-mcp']],
      ['python3', ['odoo_mcp']],
      ['bash', ['-c', 'uvx odoo-mcp']],
    ];
    for (const [c, a] of yes) assert.equal(commandStartsOdooMcp(c, a), true, `${c} ${a.join(' ')}`);
    for (const [c, a] of no) assert.equal(commandStartsOdooMcp(c, a), false, `${c} ${a.join(' ')}`);
  });
});
