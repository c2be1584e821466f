// Usage: node audit.mjs URL
// Runs graphql-http's GraphQL-over-HTTP server audits against URL. Prints one JSON document
// {"results":[{"id","name","status","reason"}]} on stdout and a summary on stderr.
// Exits 0 when every "MUST" audit passes, 1 otherwise, 2 on bad usage.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url || process.argv.length > 3) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}

// Same as graphql-http's auditServer(), except that a fatal error in one audit (e.g. the
// connection drops) is reported as that audit's error instead of aborting the whole run.
const results = await Promise.all(
  serverAudits({ url }).map(async ({ id, name, fn }) => {
    let result;
    try {
      result = await fn();
    } catch (err) {
      return { id, name, status: 'error', reason: `fatal: ${err?.cause?.message ?? err?.message ?? err}` };
    }
    if (result.status === 'ok') return { id, name, status: 'ok', reason: null };
    await result.response?.body?.cancel().catch(() => {});
    // graphql-http reports failed MAY audits as 'notice'; our contract has ok|warn|error only.
    const status = result.status === 'notice' ? 'warn' : result.status;
    return { id, name, status, reason: String(result.reason) };
  }),
);

process.stdout.write(JSON.stringify({ results }) + '\n');

const failedMust = results.filter((r) => r.name.startsWith('MUST') && r.status !== 'ok');
const count = (s) => results.filter((r) => r.status === s).length;
for (const r of results.filter((r) => r.status !== 'ok')) {
  console.error(`${r.status === 'error' || r.name.startsWith('MUST') ? 'FAIL' : 'warn'} [${r.id}] ${r.name}: ${r.reason}`);
}
console.error(
  `graphql-http audit of ${url}: ${results.length} audits, ${count('ok')} ok, ${count('warn')} warn, ` +
    `${count('error')} error; ${failedMust.length} MUST audit(s) failed`,
);
process.exitCode = failedMust.length === 0 ? 0 : 1;
