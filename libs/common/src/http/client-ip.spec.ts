import type { IncomingMessage } from 'node:http';
import { clientAddressResolver, parseViewerAddress } from './client-ip';

const req = (remoteAddress: string, headers: Record<string, string> = {}) =>
  ({ socket: { remoteAddress }, headers }) as unknown as IncomingMessage;

describe('parseViewerAddress', () => {
  it.each([
    ['198.51.100.10:46532', '198.51.100.10'],
    ['2001:db8:85a3::8a2e:370:7334:443', '2001:db8:85a3::8a2e:370:7334'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    [' 203.0.113.5:1 ', '203.0.113.5'],
  ])('when the header is %j, then the address is %j', (value, ip) => {
    expect(parseViewerAddress(value)).toBe(ip);
  });

  it.each([
    '',
    '198.51.100.10',
    'not-an-ip:443',
    '198.51.100.10:port',
    '[198.51.100.10]:443',
    '999.1.1.1:80',
  ])('when the header is %j, then it is refused', (value) => {
    expect(parseViewerAddress(value)).toBeUndefined();
  });
});

describe('clientAddressResolver', () => {
  const edge = { header: 'X-Origin-Secret', secrets: ['old-secret-value-0001', 'new-secret-value-0002'] };

  it('when either secret of a rotation is sent, then the viewer address is the client', () => {
    const resolve = clientAddressResolver(edge);
    for (const secret of edge.secrets)
      expect(
        resolve(
          req('10.0.1.5', { 'x-origin-secret': secret, 'cloudfront-viewer-address': '198.51.100.1:5' }),
        ),
      ).toBe('198.51.100.1');
  });

  it('when the secret is missing or wrong, then the socket peer is the client', () => {
    const resolve = clientAddressResolver(edge);
    expect(resolve(req('10.0.1.5', { 'cloudfront-viewer-address': '198.51.100.1:5' }))).toBe('10.0.1.5');
    expect(
      resolve(
        req('10.0.1.5', {
          'x-origin-secret': 'old-secret-value-000',
          'cloudfront-viewer-address': '198.51.100.1:5',
        }),
      ),
    ).toBe('10.0.1.5');
  });

  it('when the viewer address is malformed, then the socket peer is the client', () => {
    const resolve = clientAddressResolver(edge);
    expect(
      resolve(req('10.0.1.5', { 'x-origin-secret': edge.secrets[0]!, 'cloudfront-viewer-address': 'evil' })),
    ).toBe('10.0.1.5');
  });

  it('when the socket peer is IPv4-mapped IPv6, then it is written as IPv4', () => {
    expect(clientAddressResolver(undefined)(req('::ffff:192.0.2.4'))).toBe('192.0.2.4');
  });
});
