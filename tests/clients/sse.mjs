// Usage: node sse.mjs URL TOKEN QUERY VARIABLES
// Subscribes to QUERY (with the JSON object VARIABLES) through graphql-sse's own client in
// distinct connections mode, as the holder of the bearer TOKEN ("-" for none), and prints one
// JSON line per event: {"next": result} for each result, {"complete": true} at the end, or
// {"refused": {"status", "body"}} when the server answers with an error instead of a stream.
// It never retries: a refusal must be final.
import { createClient } from 'graphql-sse';

const [url, token, query, variables] = process.argv.slice(2);
if (!url || !token || !query || !variables || process.argv.length > 6) {
  console.error('usage: node sse.mjs URL TOKEN QUERY VARIABLES');
  process.exit(2);
}

const print = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const client = createClient({
  url,
  headers: token === '-' ? {} : { authorization: `Bearer ${token}` },
  retryAttempts: 0,
});
try {
  for await (const result of client.iterate({ query, variables: JSON.parse(variables) })) {
    print({ next: result });
  }
  print({ complete: true });
} catch (error) {
  if (error?.response) {
    print({ refused: { status: error.response.status, body: await error.response.json() } });
  } else {
    print({ error: String(error) });
  }
} finally {
  client.dispose();
}
