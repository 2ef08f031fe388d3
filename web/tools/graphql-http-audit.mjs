// The GraphQL over HTTP conformance audit (graphql-http's `auditServer`)
// against a running gateway; prints one line per audit and a JSON summary
// on the last line, and exits 1 when any audit is not `ok`.
//
//   node tools/graphql-http-audit.mjs http://127.0.0.1:8080/graphql

import { auditServer } from 'graphql-http'

const url = process.argv[2]
if (!url) {
  console.error('usage: node tools/graphql-http-audit.mjs GRAPHQL_URL')
  process.exit(2)
}
const results = await auditServer({ url })
const summary = { ok: 0, warn: 0, error: 0, notOk: [] }
for (const r of results) {
  summary[r.status] += 1
  let line = `${r.status.padEnd(5)} ${r.id} ${r.name}`
  if (r.status !== 'ok') {
    line += ` — ${r.reason}`
    summary.notOk.push({ id: r.id, name: r.name, status: r.status, reason: r.reason })
  }
  console.log(line)
}
console.log(JSON.stringify(summary))
process.exit(summary.warn + summary.error === 0 ? 0 : 1)
