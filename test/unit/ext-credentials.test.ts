// src/extension/credentials.ts: collecting the Odoo connection for a server start.
import { strict as assert } from 'node:assert';
import { ODOO_SECRET_KEY, resolveOdooCredentials, type CredentialIO } from '../../src/extension/credentials';
import type { OdooSettings } from '../../src/extension/settings';

type Prompt = Parameters<CredentialIO['ask']>[0];

const SECRET = 's3cr3t-P@ss';

/** A scripted CredentialIO: answers prompts in order and records every call. */
function fakeIO(opts: { settings?: Partial<OdooSettings>; secret?: string; answers?: (string | undefined)[] } = {}) {
  const settings: OdooSettings = { url: '', db: '', username: '', ...opts.settings };
  const answers = [...(opts.answers ?? [])];
  const calls: string[] = [];
  const prompts: Prompt[] = [];
  const saved: [keyof OdooSettings, string][] = [];
  const stored: string[] = [];
  const io: CredentialIO = {
    readSettings() {
      calls.push('readSettings');
      return settings;
    },
    async saveSetting(key, value) {
      calls.push(`saveSetting:${key}`);
      saved.push([key, value]);
    },
    async getSecret() {
      calls.push('getSecret');
      return opts.secret;
    },
    async storeSecret(value) {
      calls.push('storeSecret');
      stored.push(value);
    },
    async ask(prompt) {
      calls.push(`ask:${prompt.title}`);
      prompts.push(prompt);
      if (answers.length === 0) throw new Error(`unexpected prompt ${prompt.title}`);
      return answers.shift();
    },
  };
  return { io, calls, prompts, saved, stored };
}

describe('extension credentials: resolveOdooCredentials', () => {
  it('the secret storage key', () => {
    assert.equal(ODOO_SECRET_KEY, 'mcpGuard.odoo.password');
  });

  it('asks for nothing when settings and secret are all there', async () => {
    const f = fakeIO({ settings: { url: 'https://o.test', db: 'prod', username: 'bot@o.test' }, secret: SECRET });
    const r = await resolveOdooCredentials(f.io, {});
    assert.deepEqual(r, {
      ok: true,
      env: { ODOO_URL: 'https://o.test', ODOO_DB: 'prod', ODOO_USERNAME: 'bot@o.test', ODOO_PASSWORD: SECRET },
    });
    assert.deepEqual(f.prompts, []);
    assert.deepEqual(f.saved, []);
    assert.deepEqual(f.stored, []);
  });

  it('trims settings values', async () => {
    const f = fakeIO({ settings: { url: '  https://o.test ', db: ' prod', username: 'bot ' }, secret: SECRET });
    const r = await resolveOdooCredentials(f.io, {});
    assert.ok(r.ok);
    assert.deepEqual(r.env, { ODOO_URL: 'https://o.test', ODOO_DB: 'prod', ODOO_USERNAME: 'bot', ODOO_PASSWORD: SECRET });
  });

  it('asks only for what is missing, saves it, and asks the secret as a password and stores it', async () => {
    const f = fakeIO({ settings: { url: 'https://o.test', db: '', username: '   ' }, answers: ['  prod  ', 'bot@o.test', SECRET] });
    const r = await resolveOdooCredentials(f.io, {});
    assert.deepEqual(r, {
      ok: true,
      env: { ODOO_URL: 'https://o.test', ODOO_DB: 'prod', ODOO_USERNAME: 'bot@o.test', ODOO_PASSWORD: SECRET },
    });
    assert.deepEqual(
      f.prompts.map((p) => [p.title, p.password]),
      [
        ['Odoo database', false],
        ['Odoo user', false],
        ['Odoo password or API key', true],
      ],
    );
    assert.deepEqual(f.saved, [
      ['db', 'prod'],
      ['username', 'bot@o.test'],
    ]);
    assert.deepEqual(f.stored, [SECRET]);
    // each setting is saved right after it was asked, the secret is looked up before it is asked
    assert.deepEqual(f.calls, [
      'readSettings',
      'ask:Odoo database',
      'saveSetting:db',
      'ask:Odoo user',
      'saveSetting:username',
      'getSecret',
      'ask:Odoo password or API key',
      'storeSecret',
    ]);
  });

  it('asks every field in order url, db, user, secret when nothing is set', async () => {
    const f = fakeIO({ answers: ['https://o.test', 'prod', 'bot', SECRET] });
    const r = await resolveOdooCredentials(f.io, {});
    assert.ok(r.ok);
    assert.deepEqual(
      f.prompts.map((p) => p.title),
      ['Odoo URL', 'Odoo database', 'Odoo user', 'Odoo password or API key'],
    );
    assert.deepEqual(
      f.prompts.map((p) => p.placeHolder),
      ['https://mycompany.odoo.com', 'mycompany', 'bot@mycompany.com', undefined],
    );
    assert.deepEqual(Object.keys(r.env), ['ODOO_URL', 'ODOO_DB', 'ODOO_USERNAME', 'ODOO_PASSWORD']);
  });

  const cancels: [string, number, RegExp][] = [
    ['url', 0, /^Odoo URL is needed to start the Odoo server$/],
    ['db', 1, /^Odoo database is needed to start the Odoo server$/],
    ['username', 2, /^Odoo user is needed to start the Odoo server$/],
    ['secret', 3, /^The Odoo password or API key is needed to start the Odoo server$/],
  ];
  for (const [step, index, reason] of cancels) {
    for (const how of ['cancel', 'empty'] as const) {
      it(`${how} at the ${step} prompt stops with a reason and asks nothing further`, async () => {
        const good = ['https://o.test', 'prod', 'bot', SECRET];
        const answers: (string | undefined)[] = [...good.slice(0, index), how === 'cancel' ? undefined : step === 'secret' ? '' : '   '];
        const f = fakeIO({ answers });
        const r = await resolveOdooCredentials(f.io, {});
        assert.equal(r.ok, false);
        assert.ok(!r.ok);
        assert.match(r.reason, reason);
        assert.equal(f.prompts.length, index + 1, 'no prompt after the cancelled one');
        assert.deepEqual(f.stored, [], 'no secret stored');
        assert.equal(f.saved.length, index > 2 ? 3 : index, 'only the answered fields were saved');
        assert.ok(!r.reason.includes(SECRET));
      });
    }
  }

  it('skips fields present in the server env and does not repeat them in its env', async () => {
    const f = fakeIO({ settings: { url: '', db: '', username: '' }, answers: ['bot'], secret: SECRET });
    const r = await resolveOdooCredentials(f.io, { ODOO_URL: 'https://env.test', ODOO_DB: 'envdb' });
    assert.deepEqual(r, { ok: true, env: { ODOO_USERNAME: 'bot', ODOO_PASSWORD: SECRET } });
    assert.deepEqual(
      f.prompts.map((p) => p.title),
      ['Odoo user'],
    );
  });

  it('an empty value in the server env does not count as set', async () => {
    const f = fakeIO({ settings: { url: 'https://o.test', db: 'prod', username: 'bot' }, secret: SECRET });
    const r = await resolveOdooCredentials(f.io, { ODOO_URL: '', ODOO_PASSWORD: '' });
    assert.deepEqual(r, { ok: true, env: { ODOO_URL: 'https://o.test', ODOO_DB: 'prod', ODOO_USERNAME: 'bot', ODOO_PASSWORD: SECRET } });
  });

  it('ODOO_PASSWORD in the server env skips the secret entirely', async () => {
    const f = fakeIO({ settings: { url: 'https://o.test', db: 'prod', username: 'bot' } });
    const r = await resolveOdooCredentials(f.io, { ODOO_PASSWORD: 'from-env' });
    assert.deepEqual(r, { ok: true, env: { ODOO_URL: 'https://o.test', ODOO_DB: 'prod', ODOO_USERNAME: 'bot' } });
    assert.equal(f.calls.includes('getSecret'), false);
    assert.deepEqual(f.prompts, []);
  });

  it('ODOO_API_KEY in the server env skips the secret entirely', async () => {
    const f = fakeIO({ settings: { url: 'https://o.test', db: 'prod', username: 'bot' } });
    const r = await resolveOdooCredentials(f.io, { ODOO_API_KEY: 'key-from-env' });
    assert.deepEqual(r, { ok: true, env: { ODOO_URL: 'https://o.test', ODOO_DB: 'prod', ODOO_USERNAME: 'bot' } });
    assert.equal(f.calls.includes('getSecret'), false);
    assert.equal(f.calls.includes('storeSecret'), false);
    assert.deepEqual(f.prompts, []);
  });

  it('everything in the server env: asks nothing, adds nothing', async () => {
    const f = fakeIO();
    const r = await resolveOdooCredentials(f.io, { ODOO_URL: 'u', ODOO_DB: 'd', ODOO_USERNAME: 'n', ODOO_API_KEY: 'k' });
    assert.deepEqual(r, { ok: true, env: {} });
    assert.deepEqual(f.calls, ['readSettings']);
  });

  it('the secret prompt says where it is kept and keeps the value out of the prompt', async () => {
    const f = fakeIO({ settings: { url: 'u', db: 'd', username: 'n' }, answers: [SECRET] });
    await resolveOdooCredentials(f.io, {});
    const p = f.prompts[0]!;
    assert.equal(p.password, true);
    assert.equal(p.value, undefined);
    assert.match(p.prompt, /secret storage/);
  });

  it('the secret is passed as given (not trimmed) and never appears in any failure reason', async () => {
    const spaced = '  pass with spaces  ';
    const ok = fakeIO({ settings: { url: 'u', db: 'd', username: 'n' }, answers: [spaced] });
    const r = await resolveOdooCredentials(ok.io, {});
    assert.ok(r.ok);
    assert.equal(r.env['ODOO_PASSWORD'], spaced);
    assert.deepEqual(ok.stored, [spaced]);

    // A stored secret, then a cancelled setting prompt: the reason must not leak the secret.
    const f = fakeIO({ settings: { url: '', db: 'd', username: 'n' }, secret: SECRET, answers: [undefined] });
    const failed = await resolveOdooCredentials(f.io, {});
    assert.ok(!failed.ok);
    assert.ok(!failed.reason.includes(SECRET));
    assert.equal(f.calls.includes('getSecret'), false, 'the secret is not even read when a setting is missing');
  });
});
