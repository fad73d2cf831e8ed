/**
 * The organisation's base policy as the editor knows it (`mcpGuard.basePolicyFile`, machine-scoped):
 * read from disk (what the guards enforce, not an unsaved editor buffer), parsed once per change, and
 * watched, so the policy language can warn of entries it overrides and show effective decisions.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { resolve } from 'node:path';
import * as vscode from 'vscode';
import { baseLayerFromText, type BaseLayer } from '../guard/policy/base';
import { readSettings, SECTION } from './config-reader';

export type BasePolicyState =
  | { readonly kind: 'none' }
  | { readonly kind: 'valid'; readonly path: string; readonly layer: BaseLayer }
  | { readonly kind: 'invalid'; readonly path: string; readonly problem: string };

/** How often the base file is looked at for changes (it usually sits outside the workspace, where VS Code may not watch). */
const POLL_MS = 1000;

export class BasePolicyWatch implements vscode.Disposable {
  private current: BasePolicyState = { kind: 'none' };
  private watched: string | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.disposables.push(
      this.changed,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.basePolicyFile`)) this.reload();
      }),
    );
    this.reload(false);
  }

  get state(): BasePolicyState {
    return this.current;
  }

  /** The parsed base layer, when one is set and valid. */
  get layer(): BaseLayer | undefined {
    return this.current.kind === 'valid' ? this.current.layer : undefined;
  }

  /** Whether `fsPath` is the base policy file itself (analysed as a normal policy, without a base under it). */
  isBaseFile(fsPath: string): boolean {
    return this.current.kind !== 'none' && resolve(fsPath) === this.current.path;
  }

  private reload(fire = true): void {
    const configured = readSettings(vscode.workspace.isTrusted).settings.basePolicyFile;
    const path = configured === undefined ? undefined : resolve(configured);
    if (path !== this.watched) {
      if (this.watched !== undefined) unwatchFile(this.watched);
      this.watched = path;
      if (path !== undefined) watchFile(path, { interval: POLL_MS, persistent: false }, () => this.reload());
    }
    this.current = path === undefined ? { kind: 'none' } : read(path);
    if (fire) this.changed.fire();
  }

  dispose(): void {
    if (this.watched !== undefined) unwatchFile(this.watched);
    for (const d of this.disposables) d.dispose();
  }
}

function read(path: string): BasePolicyState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { kind: 'invalid', path, problem: err.code === 'ENOENT' ? 'the file does not exist' : err.message };
  }
  const load = baseLayerFromText(path, text);
  return load.ok ? { kind: 'valid', path, layer: load.layer } : { kind: 'invalid', path, problem: load.errors.join('; ') };
}
