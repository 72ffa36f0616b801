/** One rule of a PAM service, as pam.conf(5) reads it, with the file it came from. */
export interface PamRule {
  readonly file: string;
  /** `account`, `auth`, `password`, `session` (a leading `-` is dropped). */
  readonly type: string;
  /** `required`, `requisite`, `sufficient`, `optional`, `include`, `substack`, or a `[value=action …]` list. */
  readonly control: string;
  readonly module: string;
  readonly args: readonly string[];
}

/** A service's own lines: rules, and the `@include` lines to follow. */
export type PamLine = { readonly kind: 'rule'; readonly rule: PamRule } | { readonly kind: 'include'; readonly service: string };

/** Whitespace-separated words, where `[…]` (a control list or an argument with spaces) is one word. */
function words(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i] ?? '')) i++;
    if (i >= line.length) break;
    let word = '';
    if (line[i] === '[') {
      const end = line.indexOf(']', i);
      const stop = end < 0 ? line.length : end + 1;
      word = line.slice(i, stop);
      i = stop;
    } else {
      while (i < line.length && !/\s/.test(line[i] ?? '')) word += line.charAt(i++);
    }
    out.push(word);
  }
  return out;
}

/**
 * Parses a file of /etc/pam.d (pam.conf(5) without the service column):
 * `#` starts a comment, a line ending in `\` continues on the next.
 */
export function parsePamFile(file: string, text: string): PamLine[] {
  const lines: PamLine[] = [];
  const joined = text.replace(/\\\r?\n/g, ' ');
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const w = words(line);
    if (w[0] === '@include') {
      if (w[1] !== undefined) lines.push({ kind: 'include', service: w[1] });
      continue;
    }
    const [type, control, module, ...args] = w;
    if (type === undefined || control === undefined || module === undefined) continue;
    lines.push({ kind: 'rule', rule: { file, type: type.replace(/^-/, ''), control, module, args } });
  }
  return lines;
}

/** The module's file name: `pam_listfile.so` for `/lib/security/pam_listfile.so` too. */
export function moduleName(rule: PamRule): string {
  return rule.module.split('/').pop() ?? rule.module;
}

/** The `key=value` arguments of a rule (the last one wins, as in the modules' own parsers). */
export function ruleArgs(rule: PamRule): ReadonlyMap<string, string> {
  const map = new Map<string, string>();
  for (const a of rule.args) {
    const eq = a.indexOf('=');
    if (eq > 0) map.set(a.slice(0, eq), a.slice(eq + 1));
  }
  return map;
}

/**
 * Whether a failure of this rule refuses the request: `required` and
 * `requisite` do; in a `[…]` list, an `auth_err` or `default` action of
 * `bad` or `die` does (pam_listfile answers a listed user with PAM_AUTH_ERR).
 */
export function controlRefuses(control: string): boolean {
  if (control === 'required' || control === 'requisite') return true;
  const actions = controlActions(control);
  const action = actions.get('auth_err') ?? actions.get('default');
  return action === 'bad' || action === 'die';
}

/** A `[value=action …]` control as a map; empty for the keyword controls. */
function controlActions(control: string): ReadonlyMap<string, string> {
  if (!control.startsWith('[')) return new Map();
  return new Map(
    control
      .slice(1, -1)
      .trim()
      .split(/\s+/)
      .map((pair): [string, string] => {
        const eq = pair.indexOf('=');
        return eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
      }),
  );
}

/**
 * The first rule before `stack[index]` that can keep PAM from ever running
 * it: a `sufficient` module (success ends the stack), a `success=done`
 * action, or a jump (`value=N`, any value) that lands past it. `stack` is one
 * type's rules with includes expanded, as PAM itself counts jumps. A
 * substack is counted as if included, which can only make this stricter.
 */
export function ruleSkipping(stack: readonly PamRule[], index: number): PamRule | null {
  for (let i = 0; i < index; i++) {
    const rule = stack[i];
    if (rule === undefined) continue;
    if (rule.control === 'sufficient') return rule;
    const actions = controlActions(rule.control);
    if ((actions.get('success') ?? actions.get('default')) === 'done') return rule;
    for (const action of actions.values()) {
      if (/^\d+$/.test(action) && i + Number(action) >= index) return rule;
    }
  }
  return null;
}
