/** Names that must match package.json, shared by the `vscode` glue and the modules tests load without it. */

/** The policy file's language (`contributes.languages`). */
export const LANGUAGE_ID = 'mcp-policy';

/** The guarded servers' definition provider (`contributes.mcpServerDefinitionProviders`). */
export const PROVIDER_ID = 'mcpGuard.servers';

/** "Turn a Recent Call into a Rule…", also what the audit view's code lenses run. */
export const RULE_COMMAND = 'mcpGuard.ruleFromCall';

/** This extension, as `publisher.name` in package.json. */
export const EXTENSION_ID = 'mcp-guard.mcp-guard';

/** The getting-started walkthrough (`contributes.walkthroughs`), as `workbench.action.openWalkthrough` names it. */
export const WALKTHROUGH_ID = `${EXTENSION_ID}#mcpGuard.gettingStarted`;

/** "MCP Guard: Guard Existing Servers…", also what the warning about an unguarded server offers. */
export const GUARD_EXISTING_COMMAND = 'mcpGuard.guardExistingServers';
/** Its title in the palette, and the button of the warning. */
export const GUARD_EXISTING_TITLE = 'Guard Existing Servers…';
