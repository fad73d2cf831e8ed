/** `mcp-guard explain`: what a policy would do with one tool call or resource read, and why, as text or JSON. */
import { parseArgs } from 'node:util';
import { classifyCall } from '../guard/catalog/classify';
import {
  explainCall,
  explainLayeredCall,
  explainLayeredResource,
  explainResource,
  formatExplanation,
  formatLayeredExplanation,
  formatLayeredResourceExplanation,
  formatResourceExplanation,
  type Explanation,
  type ResourceExplanation,
} from '../guard/policy/explain';
import type { BaseLayer } from '../guard/policy/base';
import { MODES, type Mode } from '../guard/policy/model';
import { loadPolicyFile } from '../guard/io/policy-source';
import { UsageError } from './args';

/**
 * `mcp-guard explain --policy FILE TOOL ['{"arg": ...}'] [--mode M] [--json]`: what the policy
 * does with that call and why; `--resource URI` instead of a tool explains a resource read.
 * Exit 0 with the explanation, 1 when the policy is invalid.
 */
export function explainCommand(argv: readonly string[], out: (text: string) => void): number {
  const { values, positionals } = parseArgs({
    args: argv as string[],
    options: {
      policy: { type: 'string' },
      mode: { type: 'string', default: 'enforce' },
      json: { type: 'boolean', default: false },
      resource: { type: 'string' },
      'base-policy': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (!values.policy) throw new UsageError('explain needs --policy FILE');
  const baseFile = values['base-policy'];
  if (baseFile !== undefined && baseFile.trim() === '') throw new UsageError('--base-policy needs a file name');
  if (values.resource !== undefined)
    return explainResourceCommand(values.policy, baseFile, values.resource, positionals, values.json === true, out);
  const [tool, argsText, ...extra] = positionals;
  if (!tool)
    throw new UsageError('explain needs the tool name, e.g. mcp-guard explain --policy p.yaml cancel_async_task \'{"task_id":"abc"}\'');
  if (extra.length > 0) throw new UsageError(`unexpected ${extra.join(' ')}: give the arguments as one JSON object`);
  const mode = values.mode as string;
  if (!(MODES as readonly string[]).includes(mode))
    throw new UsageError(`--mode must be enforce, monitor or lockdown, not ${JSON.stringify(mode)}`);
  let args: Record<string, unknown> = {};
  if (argsText !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(argsText);
    } catch (e) {
      throw new UsageError(`the arguments are not valid JSON: ${(e as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new UsageError('the arguments must be a JSON object, e.g. \'{"model": "res.partner"}\'');
    args = parsed as Record<string, unknown>;
  }
  const base = loadBase(baseFile, out, 'tool call');
  if (base === false) return 1;
  const load = loadPolicyFile(values.policy);
  if (load.state.kind === 'invalid') {
    for (const p of load.problems) out(p);
    out('The policy is invalid, so a running guard blocks every tool call.');
    return 1;
  }
  // As a guard in front of odoo-mcp classes it: by the catalog, and by the call's arguments where the tool's risk depends on one.
  const cls = classifyCall(tool, undefined, args);
  const layered = base ? explainLayeredCall(load.state.index, base, tool, args, cls, mode as Mode) : undefined;
  const e = layered ? layered.effective : explainCall(load.state.index, tool, args, cls, mode as Mode);
  const layerJson = (x: Explanation) => ({
    decision: x.decision,
    rule: x.rule,
    reason: x.reason,
    applied: x.applied.map((a) => a.key),
    notMatched: notMatchedJson(x),
    fallback: x.fallback?.text ?? null,
    rateLimits: x.rateLimits,
  });
  if (values.json) {
    out(
      JSON.stringify(
        {
          tool: e.tool,
          decision: e.decision,
          rule: e.rule,
          reason: e.reason,
          category: cls.category,
          risk: cls.risk,
          riskReason: cls.reason,
          classSource: cls.source,
          ...(cls.argument !== undefined ? { classArgument: cls.argument } : {}),
          applied: e.applied.map((x) => x.key),
          notMatched: notMatchedJson(e),
          fallback: e.fallback?.text ?? null,
          rateLimits: e.rateLimits,
          ...(layered
            ? {
                layers: {
                  base: { file: baseFile, ...layerJson(layered.base) },
                  policy: { file: values.policy, ...layerJson(layered.policy) },
                },
              }
            : {}),
        },
        null,
        2,
      ),
    );
  } else {
    out(layered ? formatLayeredExplanation(layered, values.policy) : formatExplanation(e));
  }
  return 0;
}

function notMatchedJson(e: Explanation) {
  return e.notMatched.map((x) => ({
    entry: x.entry.key,
    path: x.failed.condition.path,
    op: x.failed.condition.op,
    value: x.failed.condition.value,
    found: x.failed.found,
    actual: x.failed.actual,
  }));
}

/**
 * The --base-policy file as a layer; undefined without one; false (its problems printed) when it is
 * missing or invalid, as a running guard would then block every request.
 */
function loadBase(file: string | undefined, out: (text: string) => void, what: string): BaseLayer | undefined | false {
  if (file === undefined) return undefined;
  const load = loadPolicyFile(file, {}, 'base');
  if (load.state.kind === 'invalid' || load.state.base === undefined) {
    for (const p of load.problems) out(p);
    if (load.state.kind === 'invalid' && load.problems.length === 0) out(load.state.error);
    out(`The base policy is missing or invalid, so a running guard blocks every ${what}.`);
    return false;
  }
  return load.state.base;
}

function explainResourceCommand(
  policy: string,
  baseFile: string | undefined,
  uri: string,
  positionals: readonly string[],
  json: boolean,
  out: (text: string) => void,
): number {
  if (positionals.length > 0)
    throw new UsageError(`unexpected ${positionals.join(' ')}: explain --resource URI takes no tool or arguments`);
  if (uri === '') throw new UsageError('--resource needs a URI, e.g. --resource odoo://record/res.partner/7');
  const base = loadBase(baseFile, out, 'resource read');
  if (base === false) return 1;
  const load = loadPolicyFile(policy);
  if (load.state.kind === 'invalid') {
    for (const p of load.problems) out(p);
    out('The policy is invalid, so a running guard blocks every resource read.');
    return 1;
  }
  const layered = base ? explainLayeredResource(load.state.index, base, uri) : undefined;
  const e = layered ? layered.effective : explainResource(load.state.index, uri);
  const layerJson = (x: ResourceExplanation) => ({
    decision: x.decision,
    rule: x.rule,
    reason: x.reason,
    applied: x.applied.map((a) => a.key),
    fallback: x.fallback ?? null,
    rateLimits: x.rateLimits,
  });
  if (json) {
    out(
      JSON.stringify(
        {
          resource: e.uri,
          ...layerJson(e),
          ...(layered
            ? { layers: { base: { file: baseFile, ...layerJson(layered.base) }, policy: { file: policy, ...layerJson(layered.policy) } } }
            : {}),
        },
        null,
        2,
      ),
    );
  } else {
    out(layered ? formatLayeredResourceExplanation(layered, policy) : formatResourceExplanation(e));
  }
  return 0;
}
