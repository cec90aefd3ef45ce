import { createHash, generateKeyPairSync, verify, X509Certificate } from 'node:crypto';
import { unzipSync } from 'fflate';
import forge from 'node-forge';

/**
 * What signs Apple Wallet passes outside production (purchase's `WALLET_PASS_SIGNING`): a
 * local CA standing in for Apple's WWDR intermediate, and a Pass Type ID certificate it
 * issued, laid out as Apple's is (UID = the pass type id, OU = the team id). passkit-generator
 * signs with it exactly as with Apple's; only a real iPhone tells them apart (it trusts
 * Apple's chain alone). The dev platform makes one at its first start (`.local/keys`).
 */
export interface WalletCertificates {
  passTypeIdentifier: string;
  teamIdentifier: string;
  organizationName: string;
  /** The pass certificate (PEM). */
  signerCert: string;
  /** Its RSA private key (PEM, PKCS#1). */
  signerKey: string;
  /** The local CA's certificate, in the place of Apple's WWDR (PEM). */
  wwdr: string;
}

const rsa = () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const key = forge.pki.privateKeyFromPem(pem);
  return { pem, key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
};

export function makeWalletCertificates(
  opts: { passTypeIdentifier?: string; teamIdentifier?: string } = {},
): WalletCertificates {
  const passTypeIdentifier = opts.passTypeIdentifier ?? 'pass.local.ticketslave.dev';
  const teamIdentifier = opts.teamIdentifier ?? 'TSDEV0001';
  const org = { name: 'organizationName', value: 'TicketSlave (development only)' };
  const now = Date.now();

  const caKeys = rsa();
  const ca = forge.pki.createCertificate();
  ca.publicKey = caKeys.publicKey;
  ca.serialNumber = '01';
  ca.validity.notBefore = new Date(now - 86_400_000);
  ca.validity.notAfter = new Date(now + 10 * 365 * 86_400_000);
  const caName = [{ name: 'commonName', value: 'TicketSlave Dev WWDR CA (not Apple)' }, org];
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.key, forge.md.sha256.create());

  const signerKeys = rsa();
  const signer = forge.pki.createCertificate();
  signer.publicKey = signerKeys.publicKey;
  signer.serialNumber = '02';
  signer.validity.notBefore = ca.validity.notBefore;
  signer.validity.notAfter = new Date(now + 2 * 365 * 86_400_000);
  signer.setSubject([
    { type: '0.9.2342.19200300.100.1.1', value: passTypeIdentifier },
    { name: 'commonName', value: `Pass Type ID: ${passTypeIdentifier}` },
    { name: 'organizationalUnitName', value: teamIdentifier },
    org,
  ]);
  signer.setIssuer(caName);
  signer.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  signer.sign(caKeys.key, forge.md.sha256.create());

  return {
    passTypeIdentifier,
    teamIdentifier,
    organizationName: 'TicketSlave',
    signerCert: forge.pki.certificateToPem(signer),
    signerKey: signerKeys.pem,
    wwdr: forge.pki.certificateToPem(ca),
  };
}

export interface OpenedPass {
  files: Record<string, Buffer>;
  passJson: Record<string, unknown> & {
    barcodes?: { format: string; message: string; messageEncoding: string; altText?: string }[];
  };
  manifest: Record<string, string>;
  /** The certificate whose key made the signature (PEM). */
  signedBy: string;
}

const OID = {
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  messageDigest: '1.2.840.113549.1.9.4',
  data: '1.2.840.113549.1.7.1',
};

/** Whether an ASN.1 element is the context-specific `[n]`. */
const isContext = (a: forge.asn1.Asn1, n: number) =>
  (a.tagClass as number) === (forge.asn1.Class.CONTEXT_SPECIFIC as number) && (a.type as number) === n;
const der = (a: forge.asn1.Asn1) => Buffer.from(forge.asn1.toDer(a).getBytes(), 'binary');
const children = (a: forge.asn1.Asn1) => a.value as forge.asn1.Asn1[];
const oidOf = (a: forge.asn1.Asn1) => forge.asn1.derToOid(a.value as string);

/**
 * Opens a `.pkpass` as Wallet does and throws at the first thing Wallet would refuse: every
 * file but the manifest and the signature is in manifest.json with its SHA-1, nothing more or
 * less; `signature` is a detached PKCS#7 (CMS SignedData) over manifest.json whose signed
 * attributes hold the manifest's digest, signed by the key of `signerCert`, and that
 * certificate was issued by `wwdr` (the chain a pass must carry).
 */
export function openPass(pkpass: Buffer, expected: { signerCert: string; wwdr: string }): OpenedPass {
  const files = Object.fromEntries(
    Object.entries(unzipSync(pkpass)).map(([name, b]) => [name, Buffer.from(b)]),
  );
  for (const required of ['pass.json', 'manifest.json', 'signature', 'icon.png'])
    if (!files[required]) throw new Error(`the pass has no ${required}`);
  const manifest = JSON.parse(files['manifest.json']!.toString('utf8')) as Record<string, string>;
  const listed = Object.keys(files).filter((f) => f !== 'manifest.json' && f !== 'signature');
  if (JSON.stringify(listed.sort()) !== JSON.stringify(Object.keys(manifest).sort()))
    throw new Error(
      `manifest.json lists ${Object.keys(manifest).join(', ')}, the archive holds ${listed.join(', ')}`,
    );
  for (const [name, hash] of Object.entries(manifest)) {
    const actual = createHash('sha1').update(files[name]!).digest('hex');
    if (actual !== hash)
      throw new Error(`manifest.json: ${name} has SHA-1 ${actual}, the manifest says ${hash}`);
  }

  // ContentInfo { contentType signedData, [0] SignedData }.
  const contentInfo = forge.asn1.fromDer(files.signature!.toString('binary'));
  const signedData = children(children(contentInfo)[1]!)[0]!;
  const sd = children(signedData);
  const encapsulated = children(sd[2]!);
  if (oidOf(encapsulated[0]!) !== OID.data || encapsulated.length > 1)
    throw new Error('the signature is not detached over data');
  const certificates = sd.find((c) => isContext(c, 0));
  const carried = children(certificates!).map((c) =>
    forge.pki.certificateToPem(forge.pki.certificateFromAsn1(c)),
  );
  const signerInfos = children(sd[sd.length - 1]!);
  if (signerInfos.length !== 1) throw new Error(`${signerInfos.length} signers`);
  const si = children(signerInfos[0]!);
  const digestAlgorithm = oidOf(children(si[2]!)[0]!);
  const hash = digestAlgorithm === OID.sha256 ? 'sha256' : digestAlgorithm === OID.sha1 ? 'sha1' : undefined;
  if (!hash) throw new Error(`digest algorithm ${digestAlgorithm}`);
  const signedAttrs = si[3]!;
  if (!isContext(signedAttrs, 0)) throw new Error('the signature has no signed attributes');
  const attr = (oid: string) => {
    const a = children(signedAttrs).find((x) => oidOf(children(x)[0]!) === oid);
    return a ? children(children(a)[1]!)[0]! : undefined;
  };
  const signedDigest = attr(OID.messageDigest)?.value;
  const digest = Buffer.from(typeof signedDigest === 'string' ? signedDigest : '', 'binary');
  const manifestDigest = createHash(hash).update(files['manifest.json']!).digest();
  if (!digest.equals(manifestDigest)) throw new Error('the signed digest is not manifest.json’s');
  // The signature covers the attributes DER-encoded as a SET (RFC 5652 §5.4), not as [0].
  const attrsDer = der(signedAttrs);
  attrsDer[0] = 0x31;
  const signature = Buffer.from(si[5]!.value as string, 'binary');
  const signerCert = new X509Certificate(expected.signerCert);
  if (!verify(hash, attrsDer, signerCert.publicKey, signature))
    throw new Error('the signature does not verify with the signer certificate’s key');
  const wwdr = new X509Certificate(expected.wwdr);
  if (!signerCert.checkIssued(wwdr) || !signerCert.verify(wwdr.publicKey))
    throw new Error('the signer certificate was not issued by the WWDR certificate');
  const norm = (pem: string) => new X509Certificate(pem).fingerprint256;
  const carriedPrints = carried.map(norm);
  if (!carriedPrints.includes(norm(expected.signerCert)) || !carriedPrints.includes(norm(expected.wwdr)))
    throw new Error('the signature does not carry the signer and WWDR certificates');
  return {
    files,
    passJson: JSON.parse(files['pass.json']!.toString('utf8')) as OpenedPass['passJson'],
    manifest,
    signedBy: signerCert.toString(),
  };
}
