/**
 * Usernames (seed 004, RATS step 6; DESIGN.md §3 "Usernames"): validation of
 * a chosen name and preference-ordered suggestions derived from a person's
 * first and last names, folded to ASCII.
 */
import { RosterError } from './errors.js';

/** The shape roster.yaml gives (consumer-owned, DESIGN.md §9.2). */
export interface UsernamePolicy {
  /** The site's name rule, matched against the whole name. */
  readonly pattern: string;
  /**
   * Regex sources (searched as written) for names that are reserved, e.g.
   * the institutional-id shape `^[a-z]{1,4}[0-9]+$` (RATS: "IID-like
   * properties (1-4 alpha followed by numbers)").
   */
  readonly reserved?: readonly string[];
  /** Literal system names (root, daemon, …), compared without regard to case. */
  readonly reservedNames?: readonly string[];
  readonly allowDots?: boolean;
  /** How many suggestions to offer; RATS offers 8. */
  readonly suggestions?: number;
}

export const DEFAULT_USERNAME_PATTERN = '^[a-z][a-z0-9-]{0,30}$';
export const DEFAULT_SUGGESTIONS = 8;
/** useradd's limit is 32 bytes; DESIGN.md §3 keeps names to 31 characters. */
export const MAX_USERNAME_LENGTH = 31;

const regexes = new Map<string, RegExp>();

function compile(source: string, whole: boolean): RegExp {
  const key = `${whole ? 'w' : 's'}${source}`;
  let re = regexes.get(key);
  if (re === undefined) {
    try {
      re = new RegExp(whole ? `^(?:${source})$` : source);
    } catch {
      throw new RosterError('bad_config', `username rule /${source}/ is not a valid regular expression`, [{ where: 'usernames', message: `invalid regular expression ${source}` }]);
    }
    regexes.set(key, re);
  }
  return re;
}

/** A policy's rules made ready once: an import checks a hundred thousand names against one policy. */
interface CompiledPolicy {
  readonly pattern: RegExp;
  readonly reserved: ReadonlyArray<{ readonly source: string; readonly re: RegExp }>;
  /** The reserved system names, lower case. */
  readonly reservedNames: ReadonlySet<string>;
}

const compiledPolicies = new WeakMap<UsernamePolicy, CompiledPolicy>();

function compiled(policy: UsernamePolicy): CompiledPolicy {
  let c = compiledPolicies.get(policy);
  if (c === undefined) {
    c = {
      pattern: compile(policy.pattern, true),
      reserved: (policy.reserved ?? []).map((source) => ({ source, re: compile(source, false) })),
      reservedNames: new Set((policy.reservedNames ?? []).map((r) => r.toLowerCase())),
    };
    compiledPolicies.set(policy, c);
  }
  return c;
}

/**
 * Letters that Unicode decomposition (NFKD) does not reduce to ASCII but
 * that have a conventional ASCII spelling in names (Søren → soren,
 * Łukasz → lukasz, Þórður → thordur).
 */
const SPECIAL: Readonly<Record<string, string>> = {
  ø: 'o',
  æ: 'ae',
  ß: 'ss',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  œ: 'oe',
  å: 'a',
  ı: 'i',
  ŀ: 'l',
  ħ: 'h',
  ŧ: 't',
  ŋ: 'ng',
  ĸ: 'q',
};

/**
 * Lower-case ASCII letters and digits only: NFKD splits accents off (é →
 * e + ◌́) and compatibility forms (ﬁ → fi, ｆｕｌｌ → full), the combining marks
 * are dropped, the table above handles the rest, and whatever is still not
 * `[a-z0-9]` (apostrophes, hyphens, spaces, other scripts) goes.
 */
export function foldToAscii(s: string): string {
  const lower = s.toLowerCase();
  let mapped = '';
  for (const ch of lower) mapped += SPECIAL[ch] ?? ch;
  return mapped
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^a-z0-9]/g, '');
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Null when `name` is acceptable, else what is wrong with it. Beyond the
 * site's pattern a few rules always hold, because a name ends up in
 * colon-separated /etc files (DESIGN.md §7), in paths and on command lines.
 */
export function validateUsername(name: string, policy: UsernamePolicy): string | null {
  if (name === '') return 'must not be empty';
  if (CONTROL.test(name)) return 'must not contain control characters or line breaks';
  if (name.includes(':')) return "must not contain ':'";
  if ([...name].length > MAX_USERNAME_LENGTH) return `must be at most ${MAX_USERNAME_LENGTH} characters`;
  if (/[\s/,]/.test(name)) return 'must not contain spaces, \'/\' or \',\'';
  // A leading '-' turns the name into an option for the tools and hooks it is passed to.
  if (name.startsWith('-')) return "must not start with '-'";
  if (name === '.' || name === '..') return "must not be '.' or '..'";
  // useradd refuses all-digit names: chown and friends would read them as UIDs.
  if (/^[0-9]+$/.test(name)) return 'must not be all digits (it would read as a UID)';
  if (name.includes('.') && policy.allowDots !== true) return "must not contain '.'";
  const rules = compiled(policy);
  if (!rules.pattern.test(name)) {
    const rule = policy.pattern === DEFAULT_USERNAME_PATTERN ? 'lower case, starts with a letter, at most 31 characters' : `the site's name rule ${policy.pattern}`;
    const hint = /[A-Z]/.test(name) && rules.pattern.test(name.toLowerCase()) ? ' (use lower case)' : '';
    return `must match ${rule}${hint}`;
  }
  for (const { source, re } of rules.reserved) {
    if (re.test(name)) return `looks like an institutional id or another reserved name (matches ${source})`;
  }
  if (rules.reservedNames.has(name.toLowerCase())) return 'is a reserved system name';
  return null;
}

/** Words of a name as folded ASCII: "García-Márquez" → garcia, marquez. */
function words(name: string): string[] {
  return name
    // Hyphens and dashes U+2010 to U+2014 and the apostrophe U+2019, written as escapes so the bundle stays ASCII.
    .split(/[\s\-\u2010-\u2014'\u2019.,_]+/u)
    .map(foldToAscii)
    .filter((w) => w !== '');
}

/** Keeps candidates within the length limit without a dangling separator. */
function fit(candidate: string, room = MAX_USERNAME_LENGTH): string {
  return candidate.slice(0, room).replace(/[.-]+$/, '');
}

/**
 * The name-derived forms in order of preference, before numbering. For
 * Søren Vette: svette, (soren.vette), sorenv, soren, vette, sorenvette,
 * vettes, sovette, svett, (s.vette), vettesoren, … — short and recognisable
 * first, as RATS and most sites hand them out. Forms that need a part the
 * person does not have (a mononym, a name with no Latin letters) are skipped
 * rather than built from an empty string.
 */
function baseForms(first: string, last: string): string[] {
  const f = foldToAscii(first);
  const l = foldToAscii(last);
  const fw = words(first);
  const lw = words(last);
  const forms: string[] = [];
  const both = f !== '' && l !== '';
  if (both) {
    forms.push(f.charAt(0) + l, `${f}.${l}`, f + l.charAt(0));
  }
  if (f !== '') forms.push(f);
  if (l !== '') forms.push(l);
  if (both) {
    forms.push(
      f + l,
      l + f.charAt(0),
      f.slice(0, 2) + l,
      f.charAt(0) + l.slice(0, 4),
      `${f.charAt(0)}.${l}`,
      l + f,
      `${l}.${f}`,
    );
    // Several given names: their initials ("Mary Ann Lee" → malee).
    if (fw.length > 1) forms.push(fw.map((w) => w.charAt(0)).join('') + l);
    // Double-barrelled last names: each part on its own ("García-Márquez" → agarcia, amarquez).
    if (lw.length > 1) {
      for (const w of lw) forms.push(f.charAt(0) + w, `${f}.${w}`, f + w, w);
    }
    if (fw.length > 1) for (const w of fw) forms.push(w + l.charAt(0), w);
    forms.push(f + l.slice(0, 2), f.charAt(0) + l.charAt(0));
  }
  return forms.map((c) => fit(c)).filter((c) => c !== '');
}

/** When the names give nothing usable (e.g. only non-Latin letters). */
const FALLBACK_STEM = 'user';
/** Numbered forms stop after this many invalid ones in a row: the site's rule admits none. */
const GIVE_UP_AFTER = 1000;

/**
 * An unbounded, lazily generated, preference-ordered sequence of distinct
 * names that pass `validateUsername`: the name-derived forms, then numbered
 * forms of the best stem (svette2, svette3, …). Whether a name is taken is
 * the caller's business, so an async caller can check each candidate against
 * the store and stop when it has enough.
 *
 * A stem of up to four letters plus digits looks like an institutional id
 * (`jli2` matches `^[a-z]{1,4}[0-9]+$`), so numbering uses the first stem
 * (in preference order) whose numbered form is valid, then tries `-` as a
 * separator (`jli-2`). Under a rule that admits no numbered name at all the
 * sequence ends instead of searching forever.
 */
export function* usernameCandidates(first: string, last: string, policy: UsernamePolicy): Generator<string, void, undefined> {
  const seen = new Set<string>();
  const ok = (c: string): boolean => !seen.has(c) && validateUsername(c, policy) === null;
  let bases = baseForms(first, last);
  if (!bases.some((c) => validateUsername(c, policy) === null)) bases = [...bases, FALLBACK_STEM];
  for (const c of bases) {
    if (ok(c)) {
      seen.add(c);
      yield c;
    }
  }
  const numbered = (stem: string, sep: string, n: number): string => {
    const suffix = `${sep}${n}`;
    return fit(stem, MAX_USERNAME_LENGTH - suffix.length) + suffix;
  };
  // Name-derived stems first (with any separator), the generic ones last.
  const options = [bases, [FALLBACK_STEM, `new${FALLBACK_STEM}`]].flatMap((stems) =>
    ['', '-', '.'].flatMap((sep) => stems.map((stem) => ({ stem, sep }))),
  );
  const chosen = options.find(({ stem, sep }) => validateUsername(numbered(stem, sep, 2), policy) === null);
  if (chosen === undefined) return;
  let misses = 0;
  for (let n = 2; misses < GIVE_UP_AFTER; n++) {
    const c = numbered(chosen.stem, chosen.sep, n);
    if (ok(c)) {
      misses = 0;
      seen.add(c);
      yield c;
    } else {
      misses++;
    }
  }
}

/** Upper bound on candidates examined, so an `isTaken` that says yes to everything cannot hang us. */
const MAX_EXAMINED = 100_000;

/**
 * RATS step 6: the first `policy.suggestions` (default 8) candidates that
 * are not taken. Fewer only if the site's rules or `isTaken` leave fewer.
 */
export function suggestUsernames(first: string, last: string, policy: UsernamePolicy, isTaken: (name: string) => boolean): string[] {
  const want = policy.suggestions ?? DEFAULT_SUGGESTIONS;
  const out: string[] = [];
  if (want <= 0) return out;
  let examined = 0;
  for (const c of usernameCandidates(first, last, policy)) {
    if (++examined > MAX_EXAMINED) break;
    if (isTaken(c)) continue;
    out.push(c);
    if (out.length >= want) break;
  }
  return out;
}
