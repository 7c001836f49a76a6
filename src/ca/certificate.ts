/**
 * X.509 v3 certificates written directly in DER and signed with node:crypto: a self-signed root
 * and SPIFFE leaf certificates. Building the TBSCertificate by hand keeps issuance at native
 * signing speed (an X.509 library over WebCrypto measured about 6× slower here). Also reads
 * back the few fields a loaded CA certificate needs (subject Name bytes, key identifier).
 */
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import {
  bitString, boolean, child, children, explicit, octetString, oid, oidToString, readExactly, sequence, set, smallInteger, Tag, time, tlv,
  unsignedInteger, utf8String, type Tlv,
} from './der.ts';
import { signatureScheme } from './keys.ts';

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** A random positive 128-bit serial: DER INTEGER contents and the hex form (uppercase, like node's X509Certificate). */
export function randomSerial(): { readonly bytes: Buffer; readonly hex: string } {
  const bytes = randomBytes(16);
  if (bytes[0] === 0) bytes[0] = 1; // keep 16 significant bytes so hex forms compare as strings
  return { bytes, hex: bytes.toString('hex').toUpperCase() };
}

/** A Name of CN (and optional O) as UTF8Strings; `[]` gives the empty Name. */
export function distinguishedName(attributes: ReadonlyArray<readonly ['CN' | 'O', string]>): Buffer {
  return sequence(
    ...attributes.map(([type, value]) => set(sequence(oid(type === 'CN' ? OID.commonName : OID.organization), utf8String(value)))),
  );
}

/** The subjectPublicKey bits of an SPKI (the bytes a key identifier hashes). */
function publicKeyBits(spki: Buffer): Buffer {
  const bits = child(readExactly(spki, Tag.SEQUENCE, 'SubjectPublicKeyInfo'), 1, 'subjectPublicKey', Tag.BIT_STRING);
  return bits.value.subarray(1);
}

/** SHA-1 of the subjectPublicKey bits (RFC 5280 4.2.1.2, method 1). */
export function subjectKeyId(spki: Buffer): Buffer {
  return createHash('sha1').update(publicKeyBits(spki)).digest();
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

/**
 * Extra SANs for a serving certificate (e.g. the xDS server's), so standard TLS clients that check
 * the host name they dialled accept it. IP addresses in dotted (v4) or colon (v6) form.
 */
export interface ServingNames {
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
}

/** The 4 or 16 address bytes of an IP literal; throws on anything else (callers pass literals they checked). */
export function ipAddressBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  if (!isIPv6(address)) throw new Error(`not an IP address: ${address}`);
  let text = address;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const b = v4[1].split('.').map(Number);
    text = text.slice(0, -v4[1].length) + `${(((b[0] ?? 0) << 8) | (b[1] ?? 0)).toString(16)}:${(((b[2] ?? 0) << 8) | (b[3] ?? 0)).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  all.forEach((group, i) => out.writeUInt16BE(parseInt(group, 16), i * 2));
  return out;
}

/** Extensions of a SPIFFE leaf: URI SAN (critical with an empty subject), mTLS key usages, AKI/SKI; `names` adds DNS/IP SANs. */
export function leafExtensions(spiffeId: string, ski: Buffer, aki: Buffer, emptySubject: boolean, names?: ServingNames): Buffer[] {
  const extraSans = [
    ...(names?.dnsNames ?? []).map((name) => tlv(0x82, Buffer.from(name, 'ascii'))),
    ...(names?.ipAddresses ?? []).map((ip) => tlv(0x87, ipAddressBytes(ip))),
  ];
  return [
    extension(OID.basicConstraints, true, sequence()),
    // digitalSignature (bit 0) + keyEncipherment (bit 2): 1010 0000, 5 unused bits.
    extension(OID.keyUsage, true, bitString(Buffer.from([0xa0]), 5)),
    extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth), oid(OID.clientAuth))),
    extension(OID.subjectAltName, emptySubject, sequence(tlv(0x86, Buffer.from(spiffeId, 'ascii')), ...extraSans)),
    extension(OID.subjectKeyIdentifier, false, octetString(ski)),
    extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, aki))),
  ];
}

/** Extensions of a CA certificate: CA:true, keyCertSign + cRLSign, SKI (and AKI = own SKI when self-signed). */
export function caExtensions(ski: Buffer, aki: Buffer): Buffer[] {
  return [
    extension(OID.basicConstraints, true, sequence(boolean(true))),
    // keyCertSign (bit 5) + cRLSign (bit 6): 0000 0110, 1 unused bit.
    extension(OID.keyUsage, true, bitString(Buffer.from([0x06]), 1)),
    extension(OID.subjectKeyIdentifier, false, octetString(ski)),
    extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, aki))),
  ];
}

export interface CertificateFields {
  readonly serial: Buffer;
  /** The issuer's subject Name, exact bytes. */
  readonly issuer: Buffer;
  readonly subject: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SubjectPublicKeyInfo DER of the certified key. */
  readonly spki: Buffer;
  readonly extensions: readonly Buffer[];
}

/** Encodes and signs a certificate with `signingKey`; returns its DER. */
export function signCertificate(fields: CertificateFields, signingKey: KeyObject): Buffer {
  const scheme = signatureScheme(signingKey);
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(fields.serial),
    scheme.algorithmIdentifier,
    fields.issuer,
    sequence(time(fields.notBefore), time(fields.notAfter)),
    fields.subject,
    fields.spki,
    explicit(3, sequence(...fields.extensions)),
  );
  const signature = sign(scheme.hash, tbs, signingKey);
  return sequence(tbs, scheme.algorithmIdentifier, bitString(signature));
}

/**
 * The subject Name bytes, SPKI and key identifier of a certificate's DER (what signing under it
 * needs). The key identifier is the certificate's own SKI extension when present (a CA made
 * elsewhere may use another method), else computed.
 */
export function certificateSubject(der: Buffer): { readonly subject: Buffer; readonly spki: Buffer; readonly keyId: Buffer } {
  const certificate = readExactly(der, Tag.SEQUENCE, 'certificate');
  const tbs = children(child(certificate, 0, 'tbsCertificate', Tag.SEQUENCE).value);
  // With the explicit version [0] present, subject is at 5 and SPKI at 6; without it, one less.
  const shift = tbs[0]?.tag === 0xa0 ? 0 : -1;
  const spki = child(tbs, 6 + shift, 'subjectPublicKeyInfo', Tag.SEQUENCE).raw;
  return { subject: child(tbs, 5 + shift, 'subject', Tag.SEQUENCE).raw, spki, keyId: ownKeyId(tbs) ?? subjectKeyId(spki) };
}

function ownKeyId(tbs: readonly Tlv[]): Buffer | undefined {
  const wrapper = tbs.find((item) => item.tag === 0xa3);
  if (wrapper === undefined) return undefined;
  for (const ext of children(child(children(wrapper.value), 0, 'extensions', Tag.SEQUENCE).value)) {
    const parts = children(ext.value);
    if (parts[0]?.tag !== Tag.OID || oidToString(parts[0].value) !== OID.subjectKeyIdentifier) continue;
    const value = parts[parts.length - 1];
    return value === undefined ? undefined : readExactly(value.value, Tag.OCTET_STRING, 'subjectKeyIdentifier').value;
  }
  return undefined;
}
