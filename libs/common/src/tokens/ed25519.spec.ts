import { createPublicKey, generateKeyPairSync, randomBytes, webcrypto } from 'node:crypto';
import { ed25519Backend, ed25519Backends, ed25519Signer, ed25519Verify } from './ed25519';

// RFC 8032 §7.1, TEST 1 (empty message) and TEST 2 (one byte).
const VECTORS = [
  {
    d: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    x: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    d: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    x: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
];
const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');

function freshKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' }) as { x: string; d: string };
  return { jwk, publicKey };
}

describe('Ed25519 for tokens', () => {
  it('uses libsodium on this machine (the platform CI and the images run on)', () => {
    expect(ed25519Backend).toBe('sodium');
    expect(ed25519Backends).toEqual(['sodium', 'node']);
  });

  describe.each(ed25519Backends)('the %s backend', (backend) => {
    it('signs the RFC 8032 test vectors byte for byte and verifies them', () => {
      for (const v of VECTORS) {
        const sign = ed25519Signer({ x: b64(v.x), d: b64(v.d) }, backend);
        const message = Buffer.from(v.message, 'hex');
        expect(sign(message).toString('hex')).toBe(v.signature);
        const sig = Buffer.from(v.signature, 'hex');
        const publicKey = createPublicKey({
          key: { kty: 'OKP', crv: 'Ed25519', x: b64(v.x) },
          format: 'jwk',
        });
        expect(ed25519Verify(message, sig, publicKey, backend)).toBe(true);
      }
    });

    it('verifies what either backend signs, and refuses any change to message, signature or key', () => {
      const { jwk, publicKey } = freshKey();
      const other = freshKey();
      for (const signer of ed25519Backends) {
        const message = randomBytes(300);
        const sig = ed25519Signer(jwk, signer)(message);
        expect(ed25519Verify(message, sig, publicKey, backend)).toBe(true);
        const flipped = Buffer.from(message);
        flipped[7]! ^= 1;
        expect(ed25519Verify(flipped, sig, publicKey, backend)).toBe(false);
        const badSig = Buffer.from(sig);
        badSig[40]! ^= 0x10;
        expect(ed25519Verify(message, badSig, publicKey, backend)).toBe(false);
        expect(ed25519Verify(message, Buffer.concat([sig, Buffer.from([0])]), publicKey, backend)).toBe(
          false,
        );
        expect(ed25519Verify(message, sig.subarray(0, 63), publicKey, backend)).toBe(false);
        expect(ed25519Verify(message, sig, other.publicKey, backend)).toBe(false);
      }
    });

    it('takes a WebCrypto key as well as a KeyObject, and refuses private and non-Ed25519 keys', async () => {
      const { jwk, publicKey } = freshKey();
      const message = Buffer.from('header.payload');
      const sig = ed25519Signer(jwk, backend)(message);
      const cryptoKey = await webcrypto.subtle.importKey(
        'jwk',
        { kty: 'OKP', crv: 'Ed25519', x: jwk.x },
        { name: 'Ed25519' },
        true,
        ['verify'],
      );
      expect(ed25519Verify(message, sig, cryptoKey, backend)).toBe(true);
      expect(ed25519Verify(message, sig, cryptoKey, backend)).toBe(true); // the cached raw key
      const { privateKey } = generateKeyPairSync('ed25519');
      expect(ed25519Verify(message, sig, privateKey, backend)).toBe(false);
      const x25519 = generateKeyPairSync('x25519').publicKey;
      expect(ed25519Verify(message, sig, x25519, backend)).toBe(false);
      expect(ed25519Verify(message, sig, publicKey, backend)).toBe(true);
    });
  });

  it('refuses a private key whose x is not its own', () => {
    const a = freshKey().jwk;
    const b = freshKey().jwk;
    expect(() => ed25519Signer({ x: b.x, d: a.d }, 'sodium')).toThrow(/does not belong/);
  });
});
