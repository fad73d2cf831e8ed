// src/extension/approval-queue.ts: approvals from every guard, shown one at a time.
import { strict as assert } from 'node:assert';
import { ApprovalQueue, type QueuedApproval } from '../../src/extension/approval-queue';
import type { ApprovalAnswerKind, ApprovalRequestMessage } from '../../src/guard/bridge/protocol';

function request(id: string, tool = `tool_${id}`): ApprovalRequestMessage {
  return {
    type: 'approval_request',
    id,
    server: 'Odoo',
    tool,
    category: 'Destructive',
    risk: 'critical',
    riskReason: 'because',
    rule: `tools.${tool}`,
    reason: 'needs approval',
    argsText: '{}',
    timeoutMs: 60000,
    allowSession: false,
  };
}

interface Shown {
  readonly id: string;
  readonly position: number;
  readonly total: number;
  readonly resolve: (a: ApprovalAnswerKind) => void;
  readonly reject: (e: Error) => void;
}

/** A queue whose `show` waits until the test answers, recording what was shown and answered. */
function harness() {
  const shown: Shown[] = [];
  const answers: [string, ApprovalAnswerKind][] = [];
  const queue = new ApprovalQueue(
    (req, position, total) =>
      new Promise<ApprovalAnswerKind>((resolve, reject) => {
        shown.push({ id: req.id, position, total, resolve, reject });
      }),
  );
  const add = (key: string, id = key): QueuedApproval => {
    const item: QueuedApproval = { key, request: request(id), answer: (a) => answers.push([key, a]) };
    queue.enqueue(item);
    return item;
  };
  return { queue, shown, answers, add };
}

/** Lets the queue's promise chain run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

describe('extension approval-queue: ApprovalQueue', () => {
  it('shows one approval at a time, in arrival order', async () => {
    const h = harness();
    h.add('a');
    h.add('b');
    h.add('c');
    await settle();
    assert.deepEqual(
      h.shown.map((s) => s.id),
      ['a'],
      'only the first is shown while it waits for an answer',
    );
    assert.equal(h.queue.size, 3);
    h.shown[0]!.resolve('allow_once');
    await settle();
    assert.deepEqual(
      h.shown.map((s) => s.id),
      ['a', 'b'],
    );
    assert.equal(h.queue.size, 2);
    h.shown[1]!.resolve('deny');
    await settle();
    h.shown[2]!.resolve('allow_session');
    await settle();
    assert.deepEqual(
      h.shown.map((s) => s.id),
      ['a', 'b', 'c'],
    );
    assert.equal(h.queue.size, 0);
  });

  it('passes position and total: 1 of 1, then 2 of 3 and 3 of 3 for two queued behind the shown one', async () => {
    const h = harness();
    h.add('first');
    await settle();
    assert.deepEqual([h.shown[0]!.position, h.shown[0]!.total], [1, 1], 'when first shown nothing else was waiting');
    h.add('x');
    h.add('y');
    h.shown[0]!.resolve('deny');
    await settle();
    assert.deepEqual([h.shown[1]!.position, h.shown[1]!.total], [2, 3]);
    h.shown[1]!.resolve('deny');
    await settle();
    assert.deepEqual([h.shown[2]!.position, h.shown[2]!.total], [3, 3]);
  });

  it('the total grows when more arrive during the burst', async () => {
    const h = harness();
    h.add('a');
    h.add('b');
    h.add('c');
    await settle();
    h.shown[0]!.resolve('deny');
    await settle();
    assert.deepEqual([h.shown[1]!.position, h.shown[1]!.total], [2, 3]);
    h.add('d');
    h.add('e');
    h.shown[1]!.resolve('deny');
    await settle();
    assert.deepEqual([h.shown[2]!.id, h.shown[2]!.position, h.shown[2]!.total], ['c', 3, 5]);
  });

  it('the counter starts again at 1 once the queue has emptied', async () => {
    const h = harness();
    h.add('a');
    h.add('b');
    await settle();
    h.shown[0]!.resolve('deny');
    await settle();
    h.shown[1]!.resolve('deny');
    await settle();
    assert.equal(h.queue.size, 0);
    h.add('c');
    await settle();
    assert.deepEqual([h.shown[2]!.id, h.shown[2]!.position, h.shown[2]!.total], ['c', 1, 1]);
  });

  it('routes each answer to its own item', async () => {
    const h = harness();
    h.add('a');
    h.add('b');
    h.add('c');
    await settle();
    h.shown[0]!.resolve('allow_session');
    await settle();
    h.shown[1]!.resolve('deny');
    await settle();
    h.shown[2]!.resolve('allow_once');
    await settle();
    assert.deepEqual(h.answers, [
      ['a', 'allow_session'],
      ['b', 'deny'],
      ['c', 'allow_once'],
    ]);
  });

  it('a request withdrawn before its turn is never shown nor answered, and the total excludes it', async () => {
    const h = harness();
    h.add('a');
    h.add('b');
    h.add('c');
    await settle();
    h.queue.withdraw('b');
    assert.equal(h.queue.size, 2);
    h.shown[0]!.resolve('allow_once');
    await settle();
    assert.deepEqual(
      h.shown.map((s) => [s.id, s.position, s.total]),
      [
        ['a', 1, 1],
        ['c', 2, 2],
      ],
    );
    h.shown[1]!.resolve('deny');
    await settle();
    assert.deepEqual(h.answers, [
      ['a', 'allow_once'],
      ['c', 'deny'],
    ]);
  });

  it('withdrawing an unknown key does nothing', async () => {
    const h = harness();
    h.add('a');
    h.add('b');
    h.queue.withdraw('nope');
    assert.equal(h.queue.size, 2);
  });

  it('withdrawing the one being shown does not hide it: its answer still goes to it', async () => {
    // The dialog is already on screen; the guard rejects the late answer itself.
    const h = harness();
    h.add('a');
    h.add('b');
    await settle();
    h.queue.withdraw('a');
    assert.equal(h.queue.size, 2);
    h.shown[0]!.resolve('allow_once');
    await settle();
    assert.deepEqual(h.answers, [['a', 'allow_once']]);
    assert.equal(h.shown[1]!.id, 'b');
  });

  it('withdrawWhere drops every waiting match (e.g. one guard disconnected), keeping the others in order', async () => {
    const h = harness();
    h.add('1:a');
    h.add('2:b');
    h.add('1:c');
    h.add('2:d');
    h.add('1:e');
    await settle();
    h.queue.withdrawWhere((item) => item.key.startsWith('1:'));
    // 1:a is on screen already and stays
    assert.equal(h.queue.size, 3);
    for (let i = 0; i < 3; i++) {
      h.shown[i]!.resolve('deny');
      await settle();
    }
    assert.deepEqual(
      h.shown.map((s) => s.id),
      ['1:a', '2:b', '2:d'],
    );
    assert.equal(h.queue.size, 0);
  });

  it('a show that rejects counts as deny and the queue moves on', async () => {
    const h = harness();
    h.add('a');
    h.add('b');
    await settle();
    h.shown[0]!.reject(new Error('dialog failed'));
    await settle();
    assert.deepEqual(h.answers, [['a', 'deny']]);
    assert.equal(h.shown[1]!.id, 'b');
    h.shown[1]!.resolve('allow_once');
    await settle();
    assert.deepEqual(h.answers, [
      ['a', 'deny'],
      ['b', 'allow_once'],
    ]);
  });

  it('a show that throws synchronously counts as deny and the queue moves on', async () => {
    const answers: [string, ApprovalAnswerKind][] = [];
    const seen: string[] = [];
    const queue = new ApprovalQueue(async (req) => {
      seen.push(req.id);
      if (req.id === 'boom') throw new Error('no window');
      return 'allow_once';
    });
    const syncThrower = new ApprovalQueue((req) => {
      seen.push(`sync:${req.id}`);
      throw new Error('sync');
    });
    queue.enqueue({ key: 'boom', request: request('boom'), answer: (a) => answers.push(['boom', a]) });
    queue.enqueue({ key: 'ok', request: request('ok'), answer: (a) => answers.push(['ok', a]) });
    syncThrower.enqueue({ key: 's1', request: request('s1'), answer: (a) => answers.push(['s1', a]) });
    syncThrower.enqueue({ key: 's2', request: request('s2'), answer: (a) => answers.push(['s2', a]) });
    await settle();
    assert.deepEqual(
      seen.filter((s) => !s.startsWith('sync:')),
      ['boom', 'ok'],
    );
    assert.deepEqual(
      seen.filter((s) => s.startsWith('sync:')),
      ['sync:s1', 'sync:s2'],
    );
    assert.deepEqual(
      answers.sort((x, y) => x[0].localeCompare(y[0])),
      [
        ['boom', 'deny'],
        ['ok', 'allow_once'],
        ['s1', 'deny'],
        ['s2', 'deny'],
      ],
    );
    assert.equal(queue.size, 0);
    assert.equal(syncThrower.size, 0);
  });

  it('passes the request object itself to show', async () => {
    const got: ApprovalRequestMessage[] = [];
    const queue = new ApprovalQueue(async (req) => {
      got.push(req);
      return 'deny';
    });
    const req = request('r1', 'cancel_async_task');
    queue.enqueue({ key: 'k', request: req, answer: () => {} });
    await settle();
    assert.equal(got[0], req);
  });

  // One guard's broken connection must not stop the others' approvals.
  it('an answer callback that throws does not stall the queue', async () => {
    const shown: string[] = [];
    const queue = new ApprovalQueue(async (req) => {
      shown.push(req.id);
      return 'allow_once';
    });
    queue.enqueue({
      key: 'a',
      request: request('a'),
      answer: () => {
        throw new Error('socket gone');
      },
    });
    queue.enqueue({ key: 'b', request: request('b'), answer: () => {} });
    await settle();
    assert.deepEqual(shown, ['a', 'b']);
    assert.equal(queue.size, 0);
  });
});
