import { safeNextPath, sameSitePath } from './safe-next';

describe('sameSitePath', () => {
  it('keeps paths on this site, with their query and fragment', () => {
    expect(sameSitePath('/feed/events/abc')).toBe('/feed/events/abc');
    expect(sameSitePath('/buffer/?event=e1&check#top')).toBe('/buffer/?event=e1&check#top');
  });

  it.each([
    ['/\t/evil.example'], // what ?next=/%09/evil.example decodes to: the browser drops the tab
    ['/\n/evil.example'],
    ['/\r\n/evil.example'],
    ['//evil.example'],
    ['/\\evil.example'],
    ['\\/evil.example'],
    ['https://evil.example/'],
    ['javascript:alert(1)'],
    [' /feed/'],
    [''],
    [42],
    [undefined],
  ])('refuses %j, which leads off the site or is no path', (next) => {
    expect(sameSitePath(next)).toBeUndefined();
    expect(safeNextPath(next)).toBe('/feed/');
  });
});
