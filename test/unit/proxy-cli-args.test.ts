import { strict as assert } from 'node:assert';
import { UsageError, USAGE, parseRunArgs } from '../../src/cli/args';
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
});
