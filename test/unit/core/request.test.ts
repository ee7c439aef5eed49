import { describe, expect, it } from 'vitest';
import { InvalidCertificateRequest } from '../../../domain/core/errors';
import { MAX_NAMES, validateCertificateRequest, type RequestPolicy } from '../../../domain/core/request';

const policy: RequestPolicy = {
  zones: [{ name: 'example.com' }, { name: 'corp.example.net' }],
  defaultDirectoryUrl: 'https://acme.example/dir',
  defaultContact: ['mailto:ops@example.com'],
  secretPrefix: 'certflow/',
};

const base = { certificateId: 'broker-1', names: ['example.com'] };
const longLabel = 'a'.repeat(64);
const longName = `${Array.from({ length: 5 }, () => 'b'.repeat(60)).join('.')}.example.com`;

describe('validateCertificateRequest', () => {
  it('normalizes names and applies stack defaults', () => {
    const request = validateCertificateRequest(
      { certificateId: 'broker-1', names: ['Example.COM.', '*.example.com', 'mq.corp.example.net'] },
      policy,
    );
    expect(request).toEqual({
      certificateId: 'broker-1',
      names: ['example.com', '*.example.com', 'mq.corp.example.net'],
      keyType: 'ec-p256',
      directoryUrl: 'https://acme.example/dir',
      contact: ['mailto:ops@example.com'],
      keystore: { alias: 'broker-1', profile: 'legacy', rotatePassword: false },
      usages: ['serverAuth'],
    });
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['usages in the order certflow writes them', { usages: ['clientAuth', 'serverAuth'] }, { usages: ['serverAuth', 'clientAuth'] }],
    ['clientAuth alone', { usages: ['clientAuth'] }, { usages: ['clientAuth'] }],
    ['a preferred chain, by issuer CN', { preferredChain: 'ISRG Root X1' }, { usages: ['serverAuth'], preferredChain: 'ISRG Root X1' }],
  ])('takes %s', (_case, fields, expected) => {
    expect(validateCertificateRequest({ ...base, ...fields }, policy)).toMatchObject(expected);
  });

  it.each([
    ['an unknown usage', { usages: ['codeSigning'] }, /^usages\[0\]: unknown usage 'codeSigning' \(one of serverAuth, clientAuth\)$/],
    ['no usage', { usages: [] }, /^usages: at least one usage is required$/],
    ['a repeated usage', { usages: ['serverAuth', 'serverAuth'] }, /^usages: each usage at most once$/],
    ['usages not a list', { usages: 'serverAuth' }, /^usages: must be a list of usages/],
    ['an empty preferred chain', { preferredChain: '' }, /^preferredChain: '' must be an issuer common name/],
    ['a preferred chain with a trailing space', { preferredChain: 'ISRG Root X1 ' }, /^preferredChain: 'ISRG Root X1 ' must be an issuer common name/],
    ['a preferred chain with a newline', { preferredChain: 'ISRG\nRoot' }, /^preferredChain: 'ISRG\\u000aRoot' must be an issuer common name/],
    ['a preferred chain too long', { preferredChain: 'x'.repeat(65) }, /^preferredChain: 'x+…?' must be an issuer common name/],
  ])('refuses %s', (_case, fields, message) => {
    expect(() => validateCertificateRequest({ ...base, ...fields }, policy)).toThrow(message);
  });

  it('takes keystore options, passwords by reference only', () => {
    const request = validateCertificateRequest(
      { ...base, keystore: { alias: 'MQ-Broker', profile: 'modern', passwordSecretRef: 'certflow/passwords/mq' } },
      policy,
    );
    expect(request.keystore).toEqual({ alias: 'mq-broker', profile: 'modern', rotatePassword: false, passwordSecretRef: 'certflow/passwords/mq' });
    expect(validateCertificateRequest({ ...base, keystore: { rotatePassword: true } }, policy).keystore.rotatePassword).toBe(true);
  });

  it('keeps an EAB reference, never credentials', () => {
    const request = validateCertificateRequest({ ...base, externalAccountBinding: { secretRef: 'certflow/eab/zerossl' } }, policy);
    expect(request.externalAccountBinding).toEqual({ secretRef: 'certflow/eab/zerossl' });
  });

  it.each([
    ['not an object', 'just a string', /^request: must be a JSON object/],
    ['unknown field', { ...base, hmacKey: 'x' }, /unknown field\(s\) hmacKey/],
    ['missing id', { names: ['example.com'] }, /^certificateId: 'undefined'/],
    ['bad id', { ...base, certificateId: '../etc' }, /^certificateId: '\.\.\/etc'/],
    ['names not a list', { ...base, names: 'example.com' }, /^names: must be a list/],
    ['empty list', { ...base, names: [] }, /^names: at least one name/],
    ['too many names', { ...base, names: Array.from({ length: MAX_NAMES + 1 }, (_, i) => `h${i}.example.com`) }, /101 names given, at most 100/],
    ['non-string name', { ...base, names: [42] }, /^names\[0\]: must be a string/],
    ['empty name', { ...base, names: [''] }, /^names\[0\]: '' is empty/],
    ['invalid character', { ...base, names: ['bad_name.example.com'] }, /names\[0\]: 'bad_name\.example\.com' has invalid label 'bad_name'/],
    ['unicode name', { ...base, names: ['bücher.example.com'] }, /invalid label 'bücher'.*punycode/],
    ['leading hyphen', { ...base, names: ['-a.example.com'] }, /invalid label '-a'/],
    ['empty label', { ...base, names: ['a..example.com'] }, /has an empty label/],
    ['label too long', { ...base, names: [`${longLabel}.example.com`] }, /of 64 characters \(at most 63\)/],
    ['name too long', { ...base, names: [longName] }, /is 316 characters long \(at most 253\)/],
    ['wildcard not leftmost', { ...base, names: ['a.*.example.com'] }, /wildcard that is not the whole leftmost label/],
    ['partial wildcard', { ...base, names: ['a*.example.com'] }, /wildcard that is not the whole leftmost label/],
    ['single label', { ...base, names: ['localhost'] }, /not a fully qualified domain name/],
    ['duplicate by case', { ...base, names: ['example.com', 'EXAMPLE.com'] }, /names\[1\]: 'EXAMPLE\.com' duplicates names\[0\]/],
    ['duplicate by trailing dot', { ...base, names: ['a.example.com', 'a.example.com.'] }, /names\[1\].*duplicates names\[0\]/],
    ['outside every zone', { ...base, names: ['example.org'] }, /names\[0\]: 'example\.org' is outside every configured hosted zone \(zones: example\.com, corp\.example\.net\)/],
    ['suffix is not a zone', { ...base, names: ['badexample.com'] }, /'badexample\.com' is outside every configured hosted zone/],
    ['unknown key type', { ...base, keyType: 'dsa-1024' }, /^keyType: unknown key type 'dsa-1024' \(one of ec-p256, ec-p384/],
    ['malformed directory URL', { ...base, directoryUrl: 'not a url' }, /^directoryUrl: 'not a url' is not a valid URL/],
    ['plain http directory', { ...base, directoryUrl: 'http://acme.example/dir' }, /^directoryUrl: .* must use https/],
    ['bad contact', { ...base, contact: ['ops@example.com'] }, /^contact\[0\]: 'ops@example\.com' is not a mailto: URI/],
    ['keystore password inline', { ...base, keystore: { password: 'hunter2' } }, /^keystore: unknown field\(s\) password \(passwords are given by reference only\)/],
    ['bad keystore alias', { ...base, keystore: { alias: 'a b' } }, /^keystore\.alias: 'a b' must be/],
    ['unknown keystore profile', { ...base, keystore: { profile: 'rc2' } }, /^keystore\.profile: unknown profile 'rc2' \(one of legacy, modern\)/],
    ['rotate and given password', { ...base, keystore: { rotatePassword: true, passwordSecretRef: 'x' } }, /exclude each other/],
    ['EAB credentials inline', { ...base, externalAccountBinding: { kid: 'k', hmacKey: 'secret' } }, /^externalAccountBinding: must be \{ "secretRef"/],
    ['unknown field beside a bad one (named first)', { ...base, certificateId: 'BAD', hmacKey: 'x' }, /^request: unknown field\(s\) hmacKey$/],
    ['rotatePassword not a boolean', { ...base, keystore: { rotatePassword: 'yes' } }, /^keystore\.rotatePassword: must be true or false$/],
    ['contact not a list', { ...base, contact: 'mailto:ops@example.com' }, /^contact: must be a list of mailto: URIs$/],
    ['EAB without a secretRef', { ...base, externalAccountBinding: {} }, /^externalAccountBinding: must be \{ "secretRef"/],
    // Issue #12: refused, not normalised.
    ['leading space', { ...base, names: [' a.example.com'] }, /^names\[0\]: ' a\.example\.com' has leading or trailing whitespace/],
    ['trailing tab', { ...base, names: ['a.example.com\t'] }, /^names\[0\]: 'a\.example\.com\\u0009' has leading or trailing whitespace/],
    ['trailing NBSP', { ...base, names: ['a.example.com\u00a0'] }, /^names\[0\]: 'a\.example\.com\\u00a0' has leading or trailing whitespace/],
    ['leading BOM', { ...base, names: ['\ufeffa.example.com'] }, /^names\[0\]: '\\ufeffa\.example\.com' has leading or trailing whitespace/],
    ['trailing U+2028', { ...base, names: ['a.example.com\u2028'] }, /^names\[0\]: 'a\.example\.com\\u2028' has leading or trailing whitespace/],
    ['trailing newline', { ...base, names: ['a.example.com\n'] }, /^names\[0\]: 'a\.example\.com\\u000a' has leading or trailing whitespace/],
    ['Kelvin sign (lowercases to k)', { ...base, names: ['\u212aa.example.com'] }, /^names\[0\]: .* has invalid label .*U\+212A is not ASCII.*xn--/],
    ['fullwidth letter (NFKC to e)', { ...base, names: ['\uff45xample.com'] }, /^names\[0\]: .* has invalid label .*U\+FF45 is not ASCII/],
    ['long s (uppercases to S)', { ...base, names: ['a.\u017fexample.com'] }, /U\+017F is not ASCII/],
    ['inner NUL', { ...base, names: ['a\u0000b.example.com'] }, /^names\[0\]: 'a\\u0000b\.example\.com' has invalid label 'a\\u0000b'/],
    ['malformed A-label (not punycode)', { ...base, names: ['xn--a.example.com'] }, /^names\[0\]: 'xn--a\.example\.com' has malformed A-label 'xn--a'/],
    ['A-label of a non-NFC label', { ...base, names: ['xn--ab-8tb.example.com'] }, /has malformed A-label 'xn--ab-8tb'/],
    ['A-label that does not decode', { ...base, names: ['xn--55.example.com'] }, /has malformed A-label 'xn--55'/],
    ['keyType null', { ...base, keyType: null }, /^keyType: /],
    ['directoryUrl null', { ...base, directoryUrl: null }, /^directoryUrl: /],
    ['contact null', { ...base, contact: null }, /^contact: /],
    ['keystore null', { ...base, keystore: null }, /^keystore: /],
    ['keystore.alias null', { ...base, keystore: { alias: null } }, /^keystore\.alias: /],
    ['keystore.profile null', { ...base, keystore: { profile: null } }, /^keystore\.profile: /],
    ['keystore.passwordSecretRef null', { ...base, keystore: { passwordSecretRef: null } }, /^keystore\.passwordSecretRef: /],
    ['keystore.rotatePassword null', { ...base, keystore: { rotatePassword: null } }, /^keystore\.rotatePassword: /],
    ['replaces null', { ...base, replaces: null }, /^replaces: /],
    ['externalAccountBinding null', { ...base, externalAccountBinding: null }, /^externalAccountBinding: /],
    ['started-by id null', { ...base, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: null }, /^AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: /],
    ['unknown field inside EAB', { ...base, externalAccountBinding: { secretRef: 'certflow/eab', kid: 'k' } }, /^externalAccountBinding: unknown field\(s\) kid/],
    ['IPv4 address', { ...base, names: ['192.0.2.1'] }, /^names\[0\]: '192\.0\.2\.1' is an IP address: DNS-01 cannot validate IP addresses$/],
    ['IPv4 address, trailing dot', { ...base, names: ['192.0.2.1.'] }, /is an IP address: DNS-01 cannot validate IP addresses$/],
    ['IPv6 address', { ...base, names: ['2001:db8::1'] }, /^names\[0\]: '2001:db8::1' is an IP address: DNS-01 cannot validate IP addresses$/],
    ['bracketed IPv6 address', { ...base, names: ['[::1]'] }, /is an IP address: DNS-01 cannot validate IP addresses$/],
    ['id with NUL and newline (escaped)', { ...base, certificateId: 'a\u0000\nb' }, /^certificateId: 'a\\u0000\\u000ab' must be/],
    // Issue #12: secret references sit under the stack's prefix for their kind (infra/iam.ts grants no other).
    ['password ref climbing out', { ...base, keystore: { passwordSecretRef: '../../x' } }, /^keystore\.passwordSecretRef: '\.\.\/\.\.\/x' must be a secret under certflow\/passwords\//],
    ['password ref of another prefix', { ...base, keystore: { passwordSecretRef: 'other-app/passwords/x' } }, /^keystore\.passwordSecretRef: 'other-app\/passwords\/x' must be a secret under certflow\/passwords\//],
    ['password ref of the other kind', { ...base, keystore: { passwordSecretRef: 'certflow/eab/x' } }, /^keystore\.passwordSecretRef: 'certflow\/eab\/x' must be a secret under certflow\/passwords\//],
    ['password ref of the stack\'s own keys', { ...base, keystore: { passwordSecretRef: 'certflow/accounts/x' } }, /^keystore\.passwordSecretRef: .* must be a secret under certflow\/passwords\//],
    ['password ref, other case', { ...base, keystore: { passwordSecretRef: 'CertFlow/passwords/x' } }, /^keystore\.passwordSecretRef: .* must be a secret under certflow\/passwords\//],
    ['password ref, bare prefix', { ...base, keystore: { passwordSecretRef: 'certflow/passwords/' } }, /^keystore\.passwordSecretRef: 'certflow\/passwords\/' must be a secret under certflow\/passwords\//],
    ['password ref, .. segment', { ...base, keystore: { passwordSecretRef: 'certflow/passwords/../eab/x' } }, /^keystore\.passwordSecretRef: .* must be a secret under certflow\/passwords\/.*'\.\.'/],
    ['password ref, . segment', { ...base, keystore: { passwordSecretRef: 'certflow/passwords/./x' } }, /^keystore\.passwordSecretRef: .* must be a secret under certflow\/passwords\//],
    ['password ref, empty segment', { ...base, keystore: { passwordSecretRef: 'certflow/passwords//x' } }, /^keystore\.passwordSecretRef: .* must be a secret under certflow\/passwords\/.*empty/],
    ['password ref, trailing slash', { ...base, keystore: { passwordSecretRef: 'certflow/passwords/x/' } }, /^keystore\.passwordSecretRef: .* must be a secret under certflow\/passwords\//],
    ['password ref, dot-led name', { ...base, keystore: { passwordSecretRef: 'certflow/passwords/.hidden' } }, /^keystore\.passwordSecretRef: .* must be a secret under certflow\/passwords\//],
    ['password ref, ARN of another secret', { ...base, keystore: { passwordSecretRef: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:prod/db-AbCdEf' } }, /^keystore\.passwordSecretRef: 'arn:.*' must be a secret under certflow\/passwords\/ \(a name, not an ARN\)/],
    ['password ref, ARN under the prefix', { ...base, keystore: { passwordSecretRef: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certflow/passwords/x' } }, /^keystore\.passwordSecretRef: .* \(a name, not an ARN\)/],
    ['password ref with a newline', { ...base, keystore: { passwordSecretRef: 'certflow/passwords/a\nb' } }, /^keystore\.passwordSecretRef: 'certflow\/passwords\/a\\u000ab' must be a secret/],
    ['password ref with NUL', { ...base, keystore: { passwordSecretRef: 'certflow/passwords/a\u0000' } }, /^keystore\.passwordSecretRef: 'certflow\/passwords\/a\\u0000' must be a secret/],
    ['password ref, empty', { ...base, keystore: { passwordSecretRef: '' } }, /^keystore\.passwordSecretRef: '' must be a secret/],
    ['EAB ref climbing out', { ...base, externalAccountBinding: { secretRef: '../../x' } }, /^externalAccountBinding\.secretRef: '\.\.\/\.\.\/x' must be a secret under certflow\/eab\//],
    ['EAB ref of another prefix', { ...base, externalAccountBinding: { secretRef: 'zerossl/eab' } }, /^externalAccountBinding\.secretRef: 'zerossl\/eab' must be a secret under certflow\/eab\//],
    ['EAB ref of the other kind', { ...base, externalAccountBinding: { secretRef: 'certflow/passwords/x' } }, /^externalAccountBinding\.secretRef: .* must be a secret under certflow\/eab\//],
    ['EAB ref, the folder itself', { ...base, externalAccountBinding: { secretRef: 'certflow/eab' } }, /^externalAccountBinding\.secretRef: 'certflow\/eab' must be a secret under certflow\/eab\//],
    ['EAB ref, .. segment', { ...base, externalAccountBinding: { secretRef: 'certflow/eab/../accounts/x' } }, /^externalAccountBinding\.secretRef: .* must be a secret under certflow\/eab\//],
    ['EAB ref, ARN', { ...base, externalAccountBinding: { secretRef: 'arn:aws:secretsmanager:us-east-1:222222222222:secret:certflow/eab/x-AbCdEf' } }, /^externalAccountBinding\.secretRef: .* \(a name, not an ARN\)/],
    ['EAB ref with a tab', { ...base, externalAccountBinding: { secretRef: 'certflow/eab/x\t' } }, /^externalAccountBinding\.secretRef: 'certflow\/eab\/x\\u0009' must be a secret/],
  ])('rejects %s', (_case, input, message) => {
    let thrown: unknown;
    try {
      validateCertificateRequest(input, policy);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidCertificateRequest);
    expect((thrown as Error).name).toBe('InvalidCertificateRequest');
    expect((thrown as Error).message).toMatch(message);
  });

  it('accepts well-formed A-labels (any case), never echoes a value unbounded', () => {
    expect(validateCertificateRequest({ ...base, names: ['xn--bcher-kva.example.com', 'XN--MNCHEN-3YA.example.com'] }, policy).names).toEqual([
      'xn--bcher-kva.example.com',
      'xn--mnchen-3ya.example.com',
    ]);
    const huge = 'x'.repeat(1_000_000);
    const inputs = [
      { ...base, certificateId: huge },
      { ...base, names: [`${huge}.example.com`] },
      { ...base, names: [`a\n${huge}`] },
      { ...base, directoryUrl: `http://${huge}` },
      { ...base, directoryUrl: `not a url ${huge}` },
      { ...base, directoryUrl: `https://${'a'.repeat(60)}.example/${huge}` },
      { ...base, contact: [huge] },
      { ...base, replaces: huge },
      { ...base, [huge]: 1 },
      { ...base, keystore: { alias: huge } },
      { ...base, keyType: huge },
    ];
    for (const input of inputs) {
      let message = '';
      try {
        validateCertificateRequest(input, policy);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidCertificateRequest);
        message = (error as Error).message;
      }
      expect(message).not.toBe('');
      expect(message.length).toBeLessThan(300);
      expect([...message].filter((char) => char.charCodeAt(0) < 0x20)).toEqual([]);
    }
  });

  it('accepts secret names under the prefix of their kind, nested or not, under any stack prefix', () => {
    const nested = validateCertificateRequest({ ...base, keystore: { passwordSecretRef: 'certflow/passwords/brokers/eu-1_a+b=c.d@e' } }, policy);
    expect(nested.keystore.passwordSecretRef).toBe('certflow/passwords/brokers/eu-1_a+b=c.d@e');
    const prod = { ...policy, secretPrefix: 'team-a/certflow/' };
    expect(validateCertificateRequest({ ...base, externalAccountBinding: { secretRef: 'team-a/certflow/eab/zerossl' } }, prod).externalAccountBinding).toEqual({
      secretRef: 'team-a/certflow/eab/zerossl',
    });
    expect(() => validateCertificateRequest({ ...base, externalAccountBinding: { secretRef: 'certflow/eab/zerossl' } }, prod)).toThrow(
      /^externalAccountBinding\.secretRef: 'certflow\/eab\/zerossl' must be a secret under team-a\/certflow\/eab\//,
    );
  });

  it('checks the stack default EAB reference as strictly as a given one', () => {
    const withDefault = { ...policy, defaultExternalAccountBinding: 'certflow/eab/default' };
    expect(validateCertificateRequest(base, withDefault).externalAccountBinding).toEqual({ secretRef: 'certflow/eab/default' });
    expect(() => validateCertificateRequest(base, { ...policy, defaultExternalAccountBinding: '../eab' })).toThrow(InvalidCertificateRequest);
    expect(() => validateCertificateRequest(base, { ...policy, defaultExternalAccountBinding: 'other/eab/x' })).toThrow(
      /^externalAccountBinding \(the stack default\): 'other\/eab\/x' must be a secret under certflow\/eab\//,
    );
  });

  it('accepts 100 names and the longest legal label', () => {
    const names = Array.from({ length: MAX_NAMES }, (_, i) => `h${i}.example.com`);
    expect(validateCertificateRequest({ ...base, names }, policy).names).toHaveLength(100);
    expect(validateCertificateRequest({ ...base, names: [`${'a'.repeat(63)}.example.com`] }, policy).names).toHaveLength(1);
  });
});

describe('allowed ACME directories', () => {
  const pinned: RequestPolicy = {
    ...policy,
    defaultDirectoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
    allowedDirectories: ['https://acme-v02.api.letsencrypt.org/directory', 'https://ca.internal.example:8443/acme/dir'],
  };
  const allowedList = 'allowed: https://acme-v02.api.letsencrypt.org/directory, https://ca.internal.example:8443/acme/dir';

  it('accepts each allowed directory, compared as URLs (host case, default port)', () => {
    expect(validateCertificateRequest({ ...base, directoryUrl: 'https://ca.internal.example:8443/acme/dir' }, pinned).directoryUrl).toBe(
      'https://ca.internal.example:8443/acme/dir',
    );
    expect(validateCertificateRequest({ ...base, directoryUrl: 'https://ACME-v02.api.letsencrypt.org:443/directory' }, pinned).directoryUrl).toBe(
      'https://acme-v02.api.letsencrypt.org/directory',
    );
    expect(validateCertificateRequest(base, pinned).directoryUrl).toBe('https://acme-v02.api.letsencrypt.org/directory');
  });

  it.each([
    ['another CA', 'https://acme.evil.example/directory'],
    ['the staging directory when only production is allowed', 'https://acme-staging-v02.api.letsencrypt.org/directory'],
    ['an allowed host on another path', 'https://acme-v02.api.letsencrypt.org/other'],
    ['an allowed host on another port', 'https://ca.internal.example:9443/acme/dir'],
  ])('refuses %s, naming the allowed ones', (_case, directoryUrl) => {
    expect(() => validateCertificateRequest({ ...base, directoryUrl }, pinned)).toThrow(InvalidCertificateRequest);
    expect(() => validateCertificateRequest({ ...base, directoryUrl }, pinned)).toThrow(`directoryUrl: '${directoryUrl}' is not an allowed ACME directory (${allowedList})`);
  });

  it('quotes at most 100 characters of a refused directory, escaped', () => {
    const directoryUrl = `https://evil.example/\n\u0000${'x'.repeat(5000)}`;
    let message = '';
    try {
      validateCertificateRequest({ ...base, directoryUrl }, pinned);
    } catch (error) {
      message = (error as Error).message;
    }
    const quotedValue = /^directoryUrl: '([^']*)' is not an allowed ACME directory/.exec(message)?.[1];
    expect(quotedValue).toBeDefined();
    expect([...quotedValue!.replace(/…$/, '')].length).toBeLessThanOrEqual(100);
    expect(quotedValue).toMatch(/^https:\/\/evil\.example\/\\u000a\\u0000x+…$/);
    for (const raw of ['\n', '\u0000']) expect(message).not.toContain(raw);
  });

  it('without a list, allows the default directory alone', () => {
    expect(validateCertificateRequest({ ...base, directoryUrl: 'https://acme.example/dir' }, policy).directoryUrl).toBe('https://acme.example/dir');
    expect(() => validateCertificateRequest({ ...base, directoryUrl: 'https://other.example/dir' }, policy)).toThrow(
      "directoryUrl: 'https://other.example/dir' is not an allowed ACME directory (allowed: https://acme.example/dir)",
    );
  });

  it('refuses even the default when the list leaves it out', () => {
    expect(() => validateCertificateRequest(base, { ...pinned, allowedDirectories: ['https://ca.internal.example:8443/acme/dir'] })).toThrow(
      "directoryUrl (the stack default) 'https://acme-v02.api.letsencrypt.org/directory' is not an allowed ACME directory",
    );
  });
});
