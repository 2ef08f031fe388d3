// Phone-size screenshots of "Check what you could get": node tools/checker-shots.mjs BASE POSTCODE OUTDIR
import { chromium } from 'playwright-core'
const [base, postcode, out] = process.argv.slice(2)
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
const page = await (await browser.newContext({ viewport: { width: 375, height: 740 } })).newPage()
await page.goto(base + '/check')
await page.screenshot({ path: `${out}/checker-postcode-phone.png`, fullPage: true })
await page.fill('input[name=postcode]', postcode)
await page.getByRole('button', { name: 'Continue' }).click()
await page.screenshot({ path: `${out}/checker-question-phone.png`, fullPage: true })
await browser.close()
