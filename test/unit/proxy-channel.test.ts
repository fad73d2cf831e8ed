import { strict as assert } from 'node:assert';
import type { AuditSink } from '../../src/guard/audit-events';
import { Channel, type LineMessage } from '../../src/guard/proxy/channel';

/** A channel whose writes and audit flushes are recorded in order. */
function recorded(lineMode: boolean) {
  const log: string[] = [];
  const audit: AuditSink = { write: () => {}, flush: () => void log.push('flush'), close: () => {} };
  const describe = (msg: LineMessage | undefined) => (msg === undefined ? '-' : `${String(msg.id)}:${String(msg.method)}`);
  const channel = new Channel({
    toUpstream: (data) => void log.push(`up ${JSON.stringify(data)}`),
    toClient: (data) => void log.push(`down ${JSON.stringify(data)}`),
    audit,
    ...(lineMode
      ? {
          toUpstreamLine: (line: string, msg: LineMessage | undefined) => void log.push(`up-line ${line} ${describe(msg)}`),
          toClientLine: (line: string, msg: LineMessage | undefined) => void log.push(`down-line ${line} ${describe(msg)}`),
        }
      : {}),
  });
  return { channel, log };
}

describe('proxy channel: joined text or one message at a time', () => {
  it('joins a batch into one write per direction, after the audit flush', () => {
    const { channel, log } = recorded(false);
    channel.batched(() => {
      channel.sendUp('{"a":1}', 'k1', { id: 1, method: 'tools/call' });
      channel.sendDown('{"b":2}');
      channel.sendUp('{"c":3}');
    });
    channel.sendDown('{"d":4}');
    assert.deepEqual(log, ['flush', 'up "{\\"a\\":1}\\n{\\"c\\":3}\\n"', 'down "{\\"b\\":2}\\n"', 'down "{\\"d\\":4}\\n"']);
  });

  it('hands a line-mode peer each message alone with what the proxy knows of it, after the audit flush', () => {
    const { channel, log } = recorded(true);
    channel.batched(() => {
      channel.sendUp('{"a":1}', 'k1', { id: 1, method: 'tools/call' });
      channel.sendUp('{"c":3}');
      channel.sendDown('{"b":2}', { id: 7 });
    });
    channel.sendDown('{"d":4}');
    channel.sendDownNow('{"e":5}');
    assert.deepEqual(log, [
      'flush',
      'up-line {"a":1} 1:tools/call',
      'up-line {"c":3} -',
      'down-line {"b":2} 7:undefined',
      'down-line {"d":4} -',
      'down-line {"e":5} -',
    ]);
  });

  it('keeps what it knows of a request held while the upstream restarts', () => {
    const { channel, log } = recorded(true);
    channel.upstreamStopped('crashed', true);
    assert.equal(channel.sendUp('{"a":1}', 'k1', { id: 1, method: 'tools/call' }), true);
    channel.batched(() => channel.upstreamBack());
    assert.deepEqual(log, ['flush', 'up-line {"a":1} 1:tools/call']);
  });
});
