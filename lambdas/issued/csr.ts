/**
 * The PKCS#10 certificate request (RFC 2986) both issuers receive, encoded here in DER with
 * node:crypto signing it: the request is a fixed shape (a CN, the SAN, a key usage), and
 * acme-client's createCsr loads @peculiar/x509 with asn1js, tsyringe and reflect-metadata for it
 * (≈ 750 kB of code, ≈ 5 MiB and ≈ 40 ms of CPU per `certflow issue`: bench/cli.ts).
 */
import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';

const MAX_COMMON_NAME = 64; // RFC 5280 ub-common-name; longer names go in the SAN only

/** One DER element: tag, definite length, contents. */
function der(tag: number, ...contents: readonly Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  const length = body.length < 0x80 ? Buffer.of(body.length) : lengthBytes(body.length);
  return Buffer.concat([Buffer.of(tag), length, body]);
}

function lengthBytes(length: number): Buffer {
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const sequence = (...items: readonly Buffer[]) => der(0x30, ...items);
const set = (...items: readonly Buffer[]) => der(0x31, ...items);
const octetString = (bytes: Buffer) => der(0x04, bytes);
const bitString = (bytes: Buffer, unusedBits = 0) => der(0x03, Buffer.of(unusedBits), bytes);

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * first + second];
  for (const arc of rest) {
    const base128 = [arc % 128];
    for (let high = Math.floor(arc / 128); high > 0; high = Math.floor(high / 128)) base128.unshift(0x80 | high % 128);
    bytes.push(...base128);
  }
  return der(0x06, Buffer.from(bytes));
}

const OID = {
  commonName: '2.5.4.3',
  extensionRequest: '1.2.840.113549.1.9.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
} as const;

/** Signature algorithm and digest by key: ECDSA's digest follows the curve, as acme-client's does. */
function signatureAlgorithm(key: KeyObject): { readonly identifier: Buffer; readonly digest: string } {
  if (key.asymmetricKeyType === 'rsa') return { identifier: sequence(oid('1.2.840.113549.1.1.11'), der(0x05)), digest: 'sha256' };
  if (key.asymmetricKeyType !== 'ec') throw new Error(`CSR: unsupported key type ${key.asymmetricKeyType ?? 'unknown'}`);
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const [digest, arc] = curve === 'secp384r1' ? ['sha384', 3] : curve === 'secp521r1' ? ['sha512', 4] : ['sha256', 2];
  return { identifier: sequence(oid(`1.2.840.10045.4.3.${arc}`)), digest };
}

/** GeneralName: dNSName [2] or iPAddress [7] (4 or 16 bytes). */
function generalName(name: string): Buffer {
  const version = isIP(name);
  if (version === 0) return der(0x82, Buffer.from(name, 'ascii'));
  const bytes = version === 4 ? Buffer.from(name.split('.').map(Number)) : ipv6Bytes(name);
  return der(0x87, bytes);
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail] = address.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const fill = tail === undefined ? [] : Array<string>(8 - groups(head).length - groups(tail).length).fill('0');
  return Buffer.concat([...groups(head), ...fill, ...groups(tail ?? '')].map((group) => Buffer.from(group.padStart(4, '0'), 'hex')));
}

/** The CSR (PEM) for `names` with the pending key: every name in the SAN, the first short one as CN. Both issuers send it. */
export async function csrFor(names: readonly string[], privateKeyPem: string): Promise<string> {
  const first = names.find((name) => name.length <= MAX_COMMON_NAME);
  const privateKey = createPrivateKey(privateKeyPem);
  const subject = sequence(...(first ? [set(sequence(oid(OID.commonName), der(0x0c, Buffer.from(first, 'utf8'))))] : []));
  const extensions = sequence(
    // digitalSignature | keyEncipherment (bits 0 and 2), as acme-client asked for them
    sequence(oid(OID.keyUsage), octetString(bitString(Buffer.of(0xa0), 5))),
    sequence(oid(OID.subjectAltName), octetString(sequence(...names.map(generalName)))),
  );
  const info = sequence(
    der(0x02, Buffer.of(0)), // version 1
    subject,
    createPublicKey(privateKey).export({ type: 'spki', format: 'der' }),
    der(0xa0, sequence(oid(OID.extensionRequest), set(extensions))), // attributes [0] IMPLICIT
  );
  const algorithm = signatureAlgorithm(privateKey);
  const request = sequence(info, algorithm.identifier, bitString(sign(algorithm.digest, info, privateKey)));
  const base64 = request.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${base64}\n-----END CERTIFICATE REQUEST-----\n`;
}
