// Builds the front end's assets into `dist/` (or the folder given as the
// first argument): one stylesheet compiled from `styles/app.scss` (GOV.UK
// Frontend set for a service that is not on GOV.UK: Arial, no font face)
// and GOV.UK Frontend's script. The web front end reads them at start,
// names each by a hash of its content and serves it compressed with a
// long-lived cache (web/src/assets.rs). Also GraphiQL with React, in
// `graphiql/`, which the gateway serves at /graphiql in development
// (graphql/src/graphiql.rs) so that it needs nothing from a CDN.
//
//   node build-assets.mjs [out-dir]

import * as sass from 'sass'
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const out = process.argv[2] || join(here, 'dist')
mkdirSync(out, { recursive: true })

const { css } = sass.compile(join(here, 'styles/app.scss'), {
  style: 'compressed',
  importers: [new sass.NodePackageImporter(here)],
  quietDeps: true
})
if (/GDS Transport|@font-face/.test(css)) {
  throw new Error('the stylesheet still names the GDS Transport font')
}
writeFileSync(join(out, 'app.css'), css)
copyFileSync(
  join(here, 'node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js'),
  join(out, 'govuk-frontend.min.js')
)
mkdirSync(join(out, 'graphiql'), { recursive: true })
for (const file of [
  'graphiql/graphiql.min.js',
  'graphiql/graphiql.min.css',
  'react/umd/react.production.min.js',
  'react-dom/umd/react-dom.production.min.js'
]) {
  copyFileSync(join(here, 'node_modules', file), join(out, 'graphiql', file.split('/').pop()))
}
console.log(`built ${out}: app.css (${css.length} bytes), govuk-frontend.min.js, graphiql/`)
