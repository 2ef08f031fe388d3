// Screenshots of pages at phone and desktop size: node tools/shot.mjs BASE EMAIL PASSWORD OUTDIR path...
import { chromium } from 'playwright-core'
const [base, email, password, out, ...paths] = process.argv.slice(2)
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
for (const [w, h] of [[375, 740], [1280, 800]]) {
  const context = await browser.newContext({ viewport: { width: w, height: h } })
  const page = await context.newPage()
  if (email && email !== '-') {
    await page.goto(base + '/sign-in')
    await page.fill('#email', email); await page.fill('#password', password)
    await page.click('button[type=submit]')
    await page.waitForLoadState('networkidle')
  }
  for (const p of paths) {
    await page.goto(base + p)
    await page.waitForLoadState('networkidle')
    const name = p.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '') || 'home'
    await page.screenshot({ path: `${out}/${name}-${w}.png`, fullPage: true })
  }
  await context.close()
}
await browser.close()
