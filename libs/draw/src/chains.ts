import type { DrandChainInfo } from './drand';

/**
 * drand's public mainnet chains (League of Entropy), shipped as data so a verifier needs
 * nothing from the operator to know which key signs the beacon. Each chain hash is
 * recomputed from its fields in drand.spec.ts.
 */
export const DRAND_QUICKNET: DrandChainInfo = {
  public_key:
    '83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a',
  period: 3,
  genesis_time: 1692803367,
  hash: '52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971',
  groupHash: 'f477d5c89f21a17c863a7f937c6a6d15859414d2be09cd448d4279af331c5d3e',
  schemeID: 'bls-unchained-g1-rfc9380',
  metadata: { beaconID: 'quicknet' },
};

export const DRAND_DEFAULT: DrandChainInfo = {
  public_key:
    '868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784a9402801af31',
  period: 30,
  genesis_time: 1595431050,
  hash: '8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce',
  groupHash: '176f93498eac9ca337150b46d21dd58673ea4e3581185f869672e59fa4cb390a',
  schemeID: 'pedersen-bls-chained',
  metadata: { beaconID: 'default' },
};

/** The chains a verifier trusts without being told otherwise, with the names it prints. */
export const DRAND_MAINNET: readonly { name: string; info: DrandChainInfo }[] = [
  { name: 'drand quicknet (mainnet)', info: DRAND_QUICKNET },
  { name: 'drand default chain (mainnet)', info: DRAND_DEFAULT },
];

/** drand's public HTTP endpoint of quicknet, the buffer's beacon unless configured otherwise. */
export const DRAND_QUICKNET_URL = `https://api.drand.sh/${DRAND_QUICKNET.hash}`;
