import { formatZonedDateTime, fromZonedInput, toZonedInput, zoneLabel, zoneOffsetMs } from './zoned-time';

describe('venue time zones', () => {
  it('reads a wall-clock time on the venue clock, whatever the zone of the machine', () => {
    expect(fromZonedInput('2026-03-14T19:30', 'Europe/Berlin')).toBe('2026-03-14T18:30:00.000Z');
    expect(fromZonedInput('2026-07-14T19:30', 'Europe/Berlin')).toBe('2026-07-14T17:30:00.000Z');
    expect(fromZonedInput('2026-03-14T19:30', 'Asia/Tokyo')).toBe('2026-03-14T10:30:00.000Z');
    expect(fromZonedInput('2026-03-14T19:30', 'America/New_York')).toBe('2026-03-14T23:30:00.000Z');
    expect(fromZonedInput('2026-03-14T19:30:15', 'UTC')).toBe('2026-03-14T19:30:15.000Z');
    expect(fromZonedInput('', 'UTC')).toBeNull();
  });

  it('when a time is skipped by spring-forward, moves it past the gap; when repeated in autumn, takes the first', () => {
    // Berlin jumps 02:00 → 03:00 on 29 March 2026: 02:30 does not exist and reads 03:30 CEST.
    expect(fromZonedInput('2026-03-29T02:30', 'Europe/Berlin')).toBe('2026-03-29T01:30:00.000Z');
    // 25 October 2026: 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET).
    expect(fromZonedInput('2026-10-25T02:30', 'Europe/Berlin')).toBe('2026-10-25T00:30:00.000Z');
  });

  it('shows an instant back on the venue clock for the editor, round-tripping', () => {
    expect(toZonedInput('2026-03-14T18:30:00.000Z', 'Europe/Berlin')).toBe('2026-03-14T19:30');
    expect(toZonedInput('2026-03-14T18:30:05.000Z', 'Europe/Berlin')).toBe('2026-03-14T19:30:05');
    for (const zone of ['Europe/Lisbon', 'Asia/Kolkata', 'Pacific/Auckland', 'America/Sao_Paulo'])
      expect(fromZonedInput(toZonedInput('2026-11-02T08:15:00.000Z', zone), zone)).toBe(
        '2026-11-02T08:15:00.000Z',
      );
    expect(toZonedInput(null, 'UTC')).toBe('');
  });

  it('labels times with the venue zone', () => {
    expect(zoneOffsetMs(Date.parse('2026-01-01T00:00:00Z'), 'Asia/Kolkata')).toBe(5.5 * 3600_000);
    expect(zoneLabel('2026-07-01T12:00:00Z', 'Asia/Tokyo', 'en-GB')).toMatch(/GMT\+9|JST/);
    const text = formatZonedDateTime('2026-03-14T18:30:00.000Z', 'Europe/Berlin', 'en-GB');
    expect(text).toContain('19:30');
    expect(text).toMatch(/CET|GMT\+1/);
  });
});
