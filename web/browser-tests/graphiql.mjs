// GraphiQL against a running gateway, in Chromium: the page loads with no
// request leaving the machine, the documentation explorer opens from the
// schema that the standard introspection query fetched, and it lists the
// root types and a field of each. Exits 1 with the reason otherwise; writes
// a screenshot to the path given second.
//
//   node browser-tests/graphiql.mjs http://127.0.0.1:8080/graphiql [shot.png]

import { chromium } from 'playwright-core'

const [url, shot] = process.argv.slice(2)
if (!url) {
  console.error('usage: node browser-tests/graphiql.mjs GRAPHIQL_URL [SCREENSHOT]')
  process.exit(2)
}
const origin = new URL(url).origin
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking']
})
const problems = []
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  page.on('pageerror', (e) => problems.push(`script error: ${e.message}`))
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) {
      problems.push(`request left the gateway: ${r.url()}`)
    }
  })
  const introspection = page.waitForResponse(
    (r) => r.url().startsWith(`${origin}/graphql`) && (r.request().postData() || '').includes('IntrospectionQuery')
  )
  await page.goto(url)
  const answer = await introspection
  const body = await answer.json()
  if (answer.status() !== 200 || body.errors) {
    problems.push(`the introspection query was refused (${answer.status()}): ${JSON.stringify(body.errors)}`)
  }
  await page.getByRole('button', { name: /show documentation explorer/i }).click()
  const docs = page.locator('.graphiql-doc-explorer')
  await docs.getByText('Root Types').waitFor({ timeout: 15000 })
  for (const root of ['query', 'mutation']) {
    await docs.getByText(root, { exact: false }).first().waitFor({ timeout: 5000 })
  }
  // Into the query type: its fields are listed.
  await docs.getByRole('link', { name: 'Query', exact: true }).click()
  await docs.getByText('offers', { exact: true }).waitFor({ timeout: 5000 })
  await docs.getByText('councilReport', { exact: true }).waitFor({ timeout: 5000 })
  if (shot) await page.screenshot({ path: shot })
} catch (e) {
  problems.push(e.message)
} finally {
  await browser.close()
}
if (problems.length) {
  console.error(problems.join('\n'))
  process.exit(1)
}
console.log('GraphiQL loaded; the documentation explorer lists the schema')
