// Kafka's ssl.principal.mapping.rules: from a client certificate's subject (RFC 2253, as
// distinguished-name.ts formats it) to the name of its `User:` principal.
//
//   DEFAULT                       the whole subject
//   RULE:pattern/replacement/     when `pattern` matches the WHOLE subject: the subject with every
//   RULE:pattern/replacement/L    match of `pattern` replaced (Java's replaceAll: $1 is group 1,
//   RULE:pattern/replacement/U    \x a literal x), then lower- (L) or upper-cased (U)
//
// Rules are comma-separated (a comma inside a pattern or replacement needs no escape: the parser
// reads `/` as the separator, `\/` as a slash) and tried in order; the first that matches names the
// principal. When none matches (no DEFAULT at the end), Kafka's SslPrincipalMapper throws
// NoMatchingRule and the broker fails the connection's authentication: so does Floe.

/** Invalid rules, refused at configuration time. */
export class PrincipalMappingRulesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrincipalMappingRulesError';
  }
}

/** No rule matched a certificate's subject: the connection is refused. */
export class NoMatchingPrincipalRuleError extends Error {
  constructor(subject: string) {
    super(`no principal mapping rule applies to the certificate subject "${subject}"`);
    this.name = 'NoMatchingPrincipalRuleError';
  }
}

export type PrincipalMappingRule =
  | { kind: 'default' }
  | { kind: 'rule'; source: string; pattern: RegExp; replacement: string; groups: number; toLowerCase: boolean; toUpperCase: boolean };

/** Parsed rules (parsePrincipalMappingRules), tried in order. */
export interface PrincipalMappingRules {
  readonly rules: readonly PrincipalMappingRule[];
  /** As configured. */
  readonly text: string;
}

/** Kafka's default: the whole subject. */
export const DEFAULT_PRINCIPAL_MAPPING_RULES = 'DEFAULT';

/** Kafka's rule grammar: DEFAULT, or RULE:pattern/replacement/ with an optional L or U. */
const RULE = /^RULE:((?:\\.|[^\\/])*)\/((?:\\.|[^\\/])*)\/([LU]?)$/;
/** One rule at the front of `rest`, up to the comma that ends it (commas in a rule are allowed). */
const NEXT = /^\s*(DEFAULT|RULE:(?:\\.|[^\\/])*\/(?:\\.|[^\\/])*\/[LU]?|[^,]*?)\s*(?:,|$)/;

function compile(source: string, whole: string): RegExp {
  try {
    return new RegExp(source, 'g');
  } catch (err) {
    throw new PrincipalMappingRulesError(`rule "${whole}": invalid regular expression: ${(err as Error).message}`);
  }
}

/** How many capturing groups `pattern` has. */
function groupCount(pattern: RegExp): number {
  return new RegExp(`${pattern.source}|`).exec('')!.length - 1;
}

/**
 * Parses `ssl.principal.mapping.rules` text. Empty (or blank) means DEFAULT, as in Kafka. Throws
 * PrincipalMappingRulesError naming the rule that is not DEFAULT or RULE:pattern/replacement/[LU],
 * or whose pattern is not a regular expression.
 */
export function parsePrincipalMappingRules(text: string): PrincipalMappingRules {
  const rules: PrincipalMappingRule[] = [];
  let rest = text.trim();
  if (rest === '') return { rules: [{ kind: 'default' }], text };
  while (rest !== '') {
    const m = NEXT.exec(rest)!;
    const one = m[1]!;
    rest = rest.slice(m[0].length);
    if (one === 'DEFAULT') {
      rules.push({ kind: 'default' });
      continue;
    }
    const r = RULE.exec(one);
    if (!r) {
      throw new PrincipalMappingRulesError(
        `invalid rule "${one}": expected DEFAULT or RULE:pattern/replacement/ with an optional L or U after the last slash (a slash inside is written \\/)`,
      );
    }
    const pattern = compile(r[1]!, one);
    rules.push({ kind: 'rule', source: one, pattern, replacement: r[2]!, groups: groupCount(pattern), toLowerCase: r[3] === 'L', toUpperCase: r[3] === 'U' });
  }
  return { rules, text };
}

/** Java's Matcher.appendReplacement: `$n` a group (n as long as such a group exists), `\x` a literal x. */
function javaReplacement(replacement: string, groups: number, match: RegExpExecArray | string[]): string {
  let out = '';
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement[i]!;
    if (c === '\\' && i + 1 < replacement.length) {
      out += replacement[++i];
    } else if (c === '$' && /[0-9]/.test(replacement[i + 1] ?? '')) {
      // Kafka escapes a reference to a group the pattern does not have, so it stays literal.
      let n = Number(replacement[i + 1]);
      if (n > groups) {
        out += c;
        continue;
      }
      i++;
      while (/[0-9]/.test(replacement[i + 1] ?? '') && n * 10 + Number(replacement[i + 1]) <= groups) n = n * 10 + Number(replacement[++i]);
      out += match[n] ?? '';
    } else {
      out += c;
    }
  }
  return out;
}

function applyRule(rule: PrincipalMappingRule, subject: string): string | undefined {
  if (rule.kind === 'default') return subject;
  const whole = new RegExp(`^(?:${rule.pattern.source})$`);
  if (!whole.test(subject)) return undefined;
  const result = subject.replace(rule.pattern, (...args: unknown[]) => {
    const captures = args.slice(0, rule.groups + 1).map((a) => (typeof a === 'string' ? a : ''));
    return javaReplacement(rule.replacement, rule.groups, captures);
  });
  if (rule.toLowerCase) return result.toLowerCase();
  if (rule.toUpperCase) return result.toUpperCase();
  return result;
}

/** The rules of a setting, or undefined when it is just DEFAULT (the whole subject, no mapping to do). */
export function principalMappingOf(text: string): PrincipalMappingRules | undefined {
  return text.trim() === DEFAULT_PRINCIPAL_MAPPING_RULES ? undefined : parsePrincipalMappingRules(text);
}

/** The principal's name for a certificate subject: the first matching rule's; throws NoMatchingPrincipalRuleError. */
export function mapPrincipalName(rules: PrincipalMappingRules, subject: string): string {
  for (const rule of rules.rules) {
    const name = applyRule(rule, subject);
    if (name !== undefined) return name;
  }
  throw new NoMatchingPrincipalRuleError(subject);
}
