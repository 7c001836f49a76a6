import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkCsr, createCsr } from '../../src/ca/csr.ts';
import { children, pemBlocks, readTlv, sequence, toPem, type Tlv } from '../../src/ca/der.ts';
import { generateKeys } from '../../src/ca/keys.ts';
import { ID, openssl } from './helpers.ts';

describe('CSR checks', () => {
  it('accepts its own ECDSA and RSA CSRs, which openssl also verifies', async () => {
    for (const algorithm of ['ecdsa-p256', 'rsa-2048'] as const) {
      const keys = await generateKeys(algorithm);
      const csr = createCsr(ID, keys.privateKey);
      expect(checkCsr(csr, ID).ok).toBe(true);
      const text = openssl((f) => ['req', '-in', f['r.csr'] as string, '-noout', '-verify', '-text'], { 'r.csr': csr });
      expect(text).toContain(`URI:${ID}`);
    }
  });

  it('accepts a CSR made by openssl with the URI SAN', () => {
    const csr = openssl(() => ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', 'k.pem', '-subj', '/', '-addext', `subjectAltName=URI:${ID}`], {});
    expect(checkCsr(csr, ID)).toMatchObject({ ok: true });
  });

  it('refuses a CSR for another identity (code identity)', async () => {
    const keys = await generateKeys();
    const result = checkCsr(createCsr('spiffe://trellis.local/ns/shop/sa/admin', keys.privateKey), ID);
    expect(result).toEqual({ ok: false, code: 'identity', reason: `csr requests identity spiffe://trellis.local/ns/shop/sa/admin but the proof presented is for ${ID}` });
  });

  it('refuses weak keys with the reason', () => {
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(checkCsr(createCsr(ID, rsa1024), ID)).toEqual({ ok: false, code: 'invalid', reason: 'csr key refused: RSA key of 1024 bits is too weak; at least 2048 bits are required' });
    const k1 = openssl(() => ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp256k1', '-nodes', '-keyout', 'k.pem', '-subj', '/', '-addext', `subjectAltName=URI:${ID}`], {});
    const refused = checkCsr(k1, ID);
    expect(!refused.ok && refused.reason).toBe('csr key refused: EC curve secp256k1 is not accepted; use P-256 or P-384');
  });

  it('refuses a bad signature (a signature by another key over the request)', async () => {
    const mine = await generateKeys();
    const other = await generateKeys();
    const parts = (pem: string) => children(readTlv(pemBlocks(pem, 'CERTIFICATE REQUEST')[0] as Buffer).value);
    const [info, algorithm] = parts(createCsr(ID, mine.privateKey));
    const [, , foreignSignature] = parts(createCsr(ID, other.privateKey));
    const forged = toPem('CERTIFICATE REQUEST', sequence((info as Tlv).raw, (algorithm as Tlv).raw, (foreignSignature as Tlv).raw));
    expect(checkCsr(forged, ID)).toEqual({ ok: false, code: 'invalid', reason: 'csr signature does not verify with its own public key (bad signature or altered request)' });
  });

  it('refuses garbage and multi-SAN requests', () => {
    expect(checkCsr('not a csr', ID)).toMatchObject({ ok: false, reason: 'csr must be one PEM block "CERTIFICATE REQUEST"' });
    expect(checkCsr(toPem('CERTIFICATE REQUEST', Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00])), ID)).toMatchObject({ ok: false });
    const dns = openssl(() => ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'k.pem', '-subj', '/', '-addext', `subjectAltName=URI:${ID},DNS:evil.example`], {});
    expect(checkCsr(dns, ID)).toMatchObject({ ok: false, reason: 'csr requests subject alternative names other than one URI; only the SPIFFE id is allowed' });
  });
});
