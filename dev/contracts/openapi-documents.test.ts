import { openApiDocumentOf, SERVICES } from './openapi-documents';

type Response = { $ref?: string; content?: Record<string, { schema?: unknown }> };
type Operation = { responses?: Record<string, Response> };
type SharedResponses = Record<string, Response>;

/**
 * What is wrong with one operation's answers: a success without a schema, no problem+json
 * error, or an error declared inline instead of as a `$ref` to `components.responses`.
 */
function responseProblems(op: Operation, shared: SharedResponses = {}): string[] {
  const problems: string[] = [];
  const responses = op.responses ?? {};
  const success = Object.keys(responses).filter((status) => /^2\d\d$/.test(status));
  if (success.length !== 1) problems.push(`declares ${success.length} success statuses`);
  for (const status of success) {
    const content = responses[status]?.content;
    if (status === '204') {
      if (content) problems.push('204 with a body');
      continue;
    }
    const schemas = Object.values(content ?? {}).map((c) => c.schema);
    if (!schemas.length || schemas.some((s) => !s || Object.keys(s).length === 0))
      problems.push(`no response schema for ${status}`);
  }
  const errors = Object.entries(responses).filter(([status]) => !/^2\d\d$/.test(status));
  if (!errors.length) problems.push('no error response');
  for (const [status, r] of errors) {
    const name = r.$ref?.match(/^#\/components\/responses\/(\w+)$/)?.[1];
    if (!name) problems.push(`${status} is not a $ref to components.responses`);
    else if (!shared[name]?.content?.['application/problem+json']?.schema)
      problems.push(`${status} is not problem+json`);
  }
  return problems;
}

describe('the OpenAPI documents built from the route declarations', () => {
  it.each(SERVICES)(
    'when %s documents an operation, then it has a schema for its success answer and problem+json errors by $ref',
    (service) => {
      const doc = openApiDocumentOf(service);
      const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op })),
      );
      expect(operations.length).toBeGreaterThan(0);
      const bad = operations
        .map(({ name, op }) => ({
          name,
          problems: responseProblems(op as Operation, doc.components.responses as SharedResponses),
        }))
        .filter((o) => o.problems.length > 0)
        .map((o) => `${o.name}: ${o.problems.join(', ')}`);
      expect(bad).toEqual([]);
    },
  );

  it('when an operation declares no schema for its success answer, then the check names it', () => {
    expect(
      responseProblems(
        {
          responses: {
            '200': { content: { 'application/json': { schema: {} } } },
            default: { $ref: '#/components/responses/Error' },
          },
        },
        { Error: { content: { 'application/problem+json': { schema: { $ref: '#/x' } } } } },
      ),
    ).toEqual(['no response schema for 200']);
    expect(
      responseProblems({
        responses: {
          '204': {},
          '404': { content: { 'application/problem+json': { schema: { $ref: '#/x' } } } },
        },
      }),
    ).toEqual(['404 is not a $ref to components.responses']);
    expect(
      responseProblems({
        responses: { '201': { content: { 'application/json': { schema: { type: 'object' } } } } },
      }),
    ).toEqual(['no error response']);
  });
});
