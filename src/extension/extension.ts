import type * as vscode from 'vscode';

// Placeholder until the extension issue lands: the guard core and CLI come first.
export function activate(_context: vscode.ExtensionContext): void {}

export function deactivate(): void {}
