// What a resident's phone downloads: the bytes on the wire for the first
// page with an empty cache, then for the next pages (docs/PERFORMANCE.md).
//
//   node tools/page-weight.mjs http://127.0.0.1:3000 household@example password
//
// Chromium from Debian (/usr/bin/chromium) through playwright-core.

import { chromium } from 'playwright-core'
const base = process.argv[2], email = process.argv[3], password = process.argv[4]
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
const context = await browser.newContext({ viewport: { width: 375, height: 740 } })
const page = await context.newPage()
const cdp = await context.newCDPSession(page)
await cdp.send('Network.enable')
let bytes = 0, count = 0, cached = 0
cdp.on('Network.loadingFinished', e => { bytes += e.encodedDataLength; count++ })
cdp.on('Network.requestServedFromCache', () => { cached++ })
async function measure (label, go) {
  bytes = 0; count = 0; cached = 0
  await go()
  await page.waitForLoadState('networkidle')
  console.log(`${label}: ${count} transfers, ${(bytes / 1024).toFixed(1)} KB on the wire, ${cached} from the cache`)
}
await measure('first page (sign in, empty cache)', () => page.goto(base + '/sign-in'))
await page.fill('#email', email); await page.fill('#password', password)
await measure('next page (after signing in)', () => page.click('button[type=submit]'))
await measure('another page', () => page.goto(base + '/bookings'))
await browser.close()
