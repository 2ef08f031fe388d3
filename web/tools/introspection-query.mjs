// graphql-js's standard introspection query, exactly as GraphiQL, GraphQL
// Code Generator, Postman and schemathesis build it, with the options given
// as JSON (`getIntrospectionQuery(options)`); or, with `--check FILE`, builds
// a client schema from an introspection result in FILE (as those tools do)
// and prints its root types and how many types it has.
//
//   node tools/introspection-query.mjs '{"descriptions":true}'
//   node tools/introspection-query.mjs --check result.json

import { readFileSync } from 'node:fs'
import { buildClientSchema, getIntrospectionQuery } from 'graphql'

if (process.argv[2] === '--check') {
  const result = JSON.parse(readFileSync(process.argv[3], 'utf8'))
  const schema = buildClientSchema(result.data)
  const types = Object.keys(schema.getTypeMap()).filter((name) => !name.startsWith('__'))
  console.log(JSON.stringify({
    query: schema.getQueryType()?.name,
    mutation: schema.getMutationType()?.name,
    types: types.length,
    queryFields: Object.keys(schema.getQueryType()?.getFields() ?? {})
  }))
} else {
  process.stdout.write(getIntrospectionQuery(JSON.parse(process.argv[2] || '{}')))
}
