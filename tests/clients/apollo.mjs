// Usage: node apollo.mjs URL EXAMPLES.json
// Runs GraphQL documents through Apollo Client (core, no React) against a Varde server.
//
// EXAMPLES.json is {"examples": [{"query", "token"}], "mustRefuse"}, written by
// tests/api/clients.rs from the README. Each example is sent unchanged (parsed by Apollo's `gql`),
// with its bearer token if it has one, with fetchPolicy 'no-cache'. Apollo Client itself does not
// validate documents against a schema, so the schema is also fetched by introspection through
// Apollo (asking for `isOneOf`) and every document is validated with graphql-js, the library
// Apollo parses with; `mustRefuse` breaks a @oneOf rule and must fail that validation.
//
// Apollo Client 4 always adds `__typename` to every selection set (InMemoryCache has no
// `addTypename: false` any more), so `__typename` keys are removed from an answer unless its
// query asks for `__typename` itself.
//
// Prints one JSON report on stdout:
// {"client", "oneOfInputs": [names], "refused": message | null,
//  "results": [{"index", "ok": true, "data"} | {"index", "ok": false, "error"}]}
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import {
  buildClientSchema,
  getIntrospectionQuery,
  isInputObjectType,
  validate,
  version as graphqlVersion,
} from 'graphql';

const [url, path] = process.argv.slice(2);
if (!url || !path || process.argv.length > 4) {
  console.error('usage: node apollo.mjs URL EXAMPLES.json');
  process.exit(2);
}
const given = JSON.parse(readFileSync(path, 'utf8'));
const apolloVersion = createRequire(import.meta.url)('@apollo/client/package.json').version;

const client = new ApolloClient({
  link: new HttpLink({ uri: url }),
  cache: new InMemoryCache(),
  defaultOptions: { query: { fetchPolicy: 'no-cache' } },
});

const withoutTypename = (value) => {
  if (Array.isArray(value)) return value.map(withoutTypename);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== '__typename')
      .map(([key, inner]) => [key, withoutTypename(inner)]),
  );
};

const run = async (query, token) => {
  const context = token ? { headers: { authorization: `Bearer ${token}` } } : {};
  const { data } = await client.query({ query: gql(query), context });
  return query.includes('__typename') ? data : withoutTypename(data);
};

const introspection = await run(getIntrospectionQuery({ oneOf: true }), null);
const schema = buildClientSchema(introspection);
const oneOfInputs = Object.values(schema.getTypeMap())
  .filter((type) => isInputObjectType(type) && type.isOneOf)
  .map((type) => type.name)
  .sort();

const results = [];
for (const [index, { query, token }] of given.examples.entries()) {
  try {
    const invalid = validate(schema, gql(query));
    if (invalid.length > 0) throw new Error(`invalid against the schema: ${invalid[0].message}`);
    results.push({ index, ok: true, data: await run(query, token) });
  } catch (error) {
    results.push({ index, ok: false, error: String(error?.message ?? error) });
  }
}

const refusals = validate(schema, gql(given.mustRefuse));
const refused = refusals.length > 0 ? refusals[0].message : null;

process.stdout.write(
  JSON.stringify({
    client: `@apollo/client ${apolloVersion} (graphql ${graphqlVersion})`,
    oneOfInputs,
    refused,
    results,
  }) + '\n',
);
