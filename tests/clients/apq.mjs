// Usage: node apq.mjs URL QUERY
// Sends QUERY twice through Apollo Client's persisted-query link (automatic persisted queries,
// hashed queries over GET), each time with a fresh client, and records what each fetch sent.
// Prints {"first": data, "firstCalls": [...], "second": data, "secondCalls": [...]}, where a call
// is {"method", "withDocument"}: whether the document itself was sent, or the hash alone.
import { createHash } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';

const [url, query] = process.argv.slice(2);
if (!url || !query || process.argv.length > 4) {
  console.error('usage: node apq.mjs URL QUERY');
  process.exit(2);
}

const calls = [];
const recordingFetch = async (input, options = {}) => {
  const method = options.method ?? 'GET';
  const withDocument =
    method === 'GET'
      ? new URL(String(input)).searchParams.has('query')
      : JSON.parse(options.body).query !== undefined;
  calls.push({ method, withDocument });
  return fetch(input, options);
};

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

const ask = async () => {
  const client = new ApolloClient({
    link: new PersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(
      new HttpLink({ uri: url, fetch: recordingFetch }),
    ),
    cache: new InMemoryCache(),
  });
  const { data } = await client.query({ query: gql(query), fetchPolicy: 'no-cache' });
  return data;
};

const first = await ask();
const firstCalls = calls.splice(0);
const second = await ask();
const secondCalls = calls.splice(0);
process.stdout.write(JSON.stringify({ first, firstCalls, second, secondCalls }) + '\n');
