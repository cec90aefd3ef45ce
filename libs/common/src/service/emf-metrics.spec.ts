import { emfLine, emfReporter } from './emf-metrics';

describe('CloudWatch EMF lines', () => {
  it('when a metric is reported, the line declares it under its namespace and dimension and carries its value', () => {
    const line = emfLine({
      namespace: 'TicketSlave',
      dimensions: { Service: 'ticketslave-production-queue' },
      metrics: { WebSocketConnections: { value: 1234, unit: 'Count' } },
      timestamp: 1_796_000_000_000,
    });
    expect(JSON.parse(line)).toEqual({
      _aws: {
        Timestamp: 1_796_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: 'TicketSlave',
            Dimensions: [['Service']],
            Metrics: [{ Name: 'WebSocketConnections', Unit: 'Count' }],
          },
        ],
      },
      Service: 'ticketslave-production-queue',
      WebSocketConnections: 1234,
    });
    expect(line).not.toContain('\n');
  });

  it('when started and stopped, the reporter writes the current sample each time', async () => {
    const lines: string[] = [];
    let n = 3;
    const part = emfReporter({
      namespace: 'TicketSlave',
      dimensions: { Service: 'q' },
      everyMs: 60_000,
      sample: () => ({ WebSocketConnections: { value: n, unit: 'Count' } }),
      write: (l) => lines.push(l),
      now: () => 1,
    });
    await part.start();
    n = 7;
    await part.stop();
    expect(
      lines.map((l) => (JSON.parse(l) as { WebSocketConnections: number }).WebSocketConnections),
    ).toEqual([3, 7]);
  });
});
