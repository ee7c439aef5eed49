/** Finds private key material (PEM, base64 body fragments, JWK `d`) and known secrets in text. */
import { createPrivateKey } from 'node:crypto';

export interface SecretFinding {
  readonly secret: string;
  readonly where: string;
}

/** Needles that betray a private key in any of the forms it could leak in. */
export function keyNeedles(label: string, pem: string): Map<string, string> {
  const body = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const needles = new Map<string, string>([[body, `${label} (base64 body)`]]);
  for (const at of [0, Math.floor(body.length / 2), body.length - 40]) needles.set(body.slice(at, at + 32), `${label} (base64 fragment @${at})`);
  const jwk = createPrivateKey(pem).export({ format: 'jwk' });
  if (jwk.d) needles.set(jwk.d, `${label} (JWK d)`);
  return needles;
}

export function scanForSecrets(haystacks: Record<string, string>, needles: Map<string, string>): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const [where, text] of Object.entries(haystacks)) {
    if (/PRIVATE KEY/.test(text)) findings.push({ secret: 'a PEM private key header', where });
    for (const [needle, secret] of needles) if (needle && text.includes(needle)) findings.push({ secret, where });
  }
  return findings;
}
