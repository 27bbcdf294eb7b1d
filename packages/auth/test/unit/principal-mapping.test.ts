// Kafka's ssl.principal.mapping.rules (FLOE_TLS_PRINCIPAL_MAPPING_RULES): the examples of Kafka's
// documentation and of its SslPrincipalMapper tests, parsing errors, and the refusal when no rule
// applies.
import { describe, expect, it } from '@jest/globals';
import { NoMatchingPrincipalRuleError, PrincipalMappingRulesError, mapPrincipalName, parsePrincipalMappingRules } from '../../src/index.ts';

const map = (rules: string, subject: string) => mapPrincipalName(parsePrincipalMappingRules(rules), subject);

describe('ssl.principal.mapping.rules', () => {
  it("maps Kafka's documented examples", () => {
    // Kafka's docs: "CN=serviceuser,OU=ServiceUsers,O=Unknown,L=Unknown,ST=Unknown,C=Unknown" to serviceuser.
    const docs = 'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L,DEFAULT';
    expect(map(docs, 'CN=serviceuser,OU=ServiceUsers,O=Unknown,L=Unknown,ST=Unknown,C=Unknown')).toBe('serviceuser');
    // "CN=adminUser,OU=Admin,O=Unknown,L=Unknown,ST=Unknown,C=Unknown" to adminuser@admin.
    expect(map(docs, 'CN=adminUser,OU=Admin,O=Unknown,L=Unknown,ST=Unknown,C=Unknown')).toBe('adminuser@admin');
    expect(map(docs, 'OU=Something,CN=Duke.Two,O=Floe')).toBe('duke.two');
    expect(map(docs, 'OU=NoCommonName')).toBe('OU=NoCommonName');
  });

  it('applies rules in order, first match wins; L lowercases, U uppercases', () => {
    expect(map('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,DEFAULT', 'CN=Kafka1,OU=ServiceUsers,O=Org')).toBe('Kafka1');
    expect(map('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L,DEFAULT', 'CN=Kafka1,OU=ServiceUsers,O=Org')).toBe('kafka1');
    expect(map('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/U,DEFAULT', 'CN=Kafka1,OU=ServiceUsers,O=Org')).toBe('KAFKA1');
    expect(map('DEFAULT,RULE:^CN=(.*?),.*$/$1/', 'CN=a,O=b')).toBe('CN=a,O=b');
    expect(map('RULE:^CN=(.*?),.*$/first-$1/, RULE:^CN=(.*?),.*$/second-$1/', 'CN=a,O=b')).toBe('first-a');
    // The pattern must match the whole subject (Java's Matcher.matches), not a part.
    expect(map('RULE:CN=(.*?),/$1/,DEFAULT', 'CN=a,O=b')).toBe('CN=a,O=b');
  });

  it("reads replacements as Java does: $n groups, unknown groups literal, \\ escapes, commas and \\/ inside a rule", () => {
    expect(map('RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U', 'cn=duke,ou=javasoft,dc=sun,dc=com')).toBe('DUKE@JAVASOFT');
    expect(map('RULE:^CN=(.*)$/$1$2/', 'CN=x')).toBe('x$2');
    expect(map('RULE:^CN=(.*)$/\\$1 is $1/', 'CN=x')).toBe('$1 is x');
    expect(map('RULE:^CN=(.*?),OU=(.*?)$/$1\\/$2/', 'CN=a,OU=b')).toBe('a/b');
    expect(map('RULE:^CN=(.*?),OU=(.*?)$/$1,$2/,DEFAULT', 'CN=a,OU=b')).toBe('a,b');
    // Kafka's test of an escaped comma in a common name.
    expect(map('RULE:^CN=((\\\\, *|\\w)+)(,.*|$)/$1/,DEFAULT', 'CN=Tkac\\, Adam,OU=ITZ,DC=geodis,DC=cz')).toBe('Tkac\\, Adam');
  });

  it('an empty setting is DEFAULT; blanks around rules are ignored', () => {
    expect(map('', 'CN=a')).toBe('CN=a');
    expect(map('  RULE:^CN=(.*)$/$1/L ,  DEFAULT  ', 'CN=A')).toBe('a');
  });

  it('refuses a subject no rule applies to, as Kafka (NoMatchingRule)', () => {
    expect(() => map('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/', 'CN=a,OU=Other')).toThrow(NoMatchingPrincipalRuleError);
    expect(() => map('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/', 'CN=a,OU=Other')).toThrow('no principal mapping rule applies to the certificate subject "CN=a,OU=Other"');
  });

  it("refuses the rules Kafka's parser refuses, naming them", () => {
    for (const bad of [
      'default',
      'DEFAUL',
      'DEFAULT/L',
      'DEFAULT/U',
      'RULE:CN=(.*?),OU=ServiceUsers.*/$1',
      'RULE:CN=(.*?),OU=ServiceUsers.*/$1/L/U',
      'RULE:CN=(.*?),OU=ServiceUsers.*/L',
      'RULE:CN=(.*?),OU=ServiceUsers.*/U',
      'RULE:CN=(.*?),OU=ServiceUsers.*/$1/LU',
      'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,NONSENSE',
    ]) {
      expect(() => parsePrincipalMappingRules(bad)).toThrow(PrincipalMappingRulesError);
    }
    expect(() => parsePrincipalMappingRules('DEFAUL')).toThrow('invalid rule "DEFAUL": expected DEFAULT or RULE:pattern/replacement/ with an optional L or U');
    // Java-only syntax is refused, not misread.
    expect(() => parsePrincipalMappingRules('RULE:(?i)^cn=(.*)$/$1/')).toThrow(/invalid regular expression/);
    expect(() => parsePrincipalMappingRules('RULE:^CN=(.*$/$1/')).toThrow(/rule "RULE:\^CN=\(\.\*\$\/\$1\/": invalid regular expression/);
  });
});
