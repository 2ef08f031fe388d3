// The provider journey in Chromium: with JavaScript off and by keyboard
// alone, sign in, open the fleet, import a CSV file with one bad row (the
// problem shown against its line), correct it and import, then start payouts
// onboarding, the browser sent on to Stripe. Then
// with JavaScript on: axe on each of the pages and screenshots of the import
// result and the payouts page. Called by run.mjs with its helpers.

// Prices in pounds, as the import page's template has them.
const header = 'kind,make,model,registration,seats,propulsion,lat,lon,price_per_hour'
const badCsv = [
  header,
  'CAR,Renault,Zoe,BT01AAA,5,ELECTRIC,51.786,-1.485,6.50',
  'CAR,Nissan,Leaf,BT02AAA,40,ELECTRIC,51.786,-1.485,6.50',
  ''
].join('\n')
const goodCsv = badCsv.replace(',40,', ',5,')

// Presses Tab until the focused element is the one wanted (by its text or id).
async function tabTo (page, wanted, check) {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab')
    const focused = page.locator(':focus')
    if (await focused.count() === 0) continue
    const id = await focused.getAttribute('id')
    const text = (await focused.innerText().catch(() => '')).trim()
    if (id === wanted || text === wanted) return true
  }
  check(false, `keyboard: could not reach "${wanted}" with Tab on ${page.url()}`)
  return false
}

async function keyboardJourneyWithoutJavaScript (browser, { base, email, password, expectText, check }) {
  // No CSP bypass: the page's own policy must let the form lead to Stripe.
  const context = await browser.newContext({ javaScriptEnabled: false })
  const page = await context.newPage()
  await page.goto(base + '/sign-in')
  await tabTo(page, 'email', check)
  await page.keyboard.type(email)
  await page.keyboard.press('Tab')
  await page.keyboard.type(password)
  await page.keyboard.press('Enter')
  await page.waitForURL('**/provider')

  await tabTo(page, 'Fleet', check)
  await page.keyboard.press('Enter')
  await page.waitForURL('**/provider/fleet')
  await tabTo(page, 'Import vehicles from a file', check)
  await page.keyboard.press('Enter')
  await page.waitForURL('**/provider/fleet/import')
  await expectText(page, 'What the file must hold', 'import page (no-js)')

  // A file with one bad row: nothing imported, the row named.
  await page.locator('#file').setInputFiles({ name: 'fleet.csv', mimeType: 'text/csv', buffer: Buffer.from(badCsv) })
  await tabTo(page, 'Import vehicles', check)
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')])
  await expectText(page, 'Nothing was imported. Fix this problem in your file, then import it again.', 'import result (no-js)')
  await expectText(page, 'Line 3, seats: Seats must be between 1 and 16', 'import summary (no-js)')
  const row = (await page.locator('#problem-1').innerText()).replace(/\s+/g, ' ')
  check(row.includes('3') && row.includes('CAR,Nissan,Leaf,BT02AAA,40') && row.includes('seats'),
    `the problem is shown against its row: ${row}`)
  check((await page.title()).startsWith('Error: '), 'the title says there is an error')

  // The summary's link leads to the row.
  await tabTo(page, 'Line 3, seats: Seats must be between 1 and 16', check)
  await page.keyboard.press('Enter')
  check(new URL(page.url()).hash === '#problem-1', `summary link went to ${page.url()}`)

  // Correct the text on the page, by keyboard, and import.
  await tabTo(page, 'csv', check)
  await page.keyboard.press('Control+A')
  await page.keyboard.press('Delete')
  await page.keyboard.insertText(goodCsv)
  await tabTo(page, 'Import vehicles', check)
  await page.keyboard.press('Enter')
  await page.waitForURL('**/provider/fleet')
  await expectText(page, '2 vehicles are imported and added to your fleet.', 'imported (no-js)')
  await expectText(page, 'Nissan Leaf', 'imported vehicle in the fleet (no-js)')
  await expectText(page, '£6.50 an hour', 'imported prices in pounds (no-js)')

  // Contact details, by keyboard: a refused email first, then saved.
  await tabTo(page, 'Contact details', check)
  await page.keyboard.press('Enter')
  await page.waitForURL('**/provider/contact')
  await tabTo(page, 'address', check)
  await page.keyboard.insertText('Cotswold Car Club office\nMarket Square\nWitney')
  await tabTo(page, 'phone', check)
  await page.keyboard.type('01993 555010')
  await tabTo(page, 'email', check)
  await page.keyboard.type('bookings')
  await tabTo(page, 'Save contact details', check)
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')])
  await expectText(page, 'Enter an email address in the correct format', 'contact details refused (no-js)')
  await tabTo(page, 'email', check)
  await page.keyboard.press('Control+A')
  await page.keyboard.type('bookings@cotswold.example')
  await tabTo(page, 'Save contact details', check)
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')])
  await expectText(page, 'Your contact details are saved.', 'contact details saved (no-js)')

  // A vehicle placed by its postcode, by keyboard.
  await page.goto(base + '/provider/fleet/new')
  await tabTo(page, 'kind', check)
  await page.keyboard.press('c') // Car
  await tabTo(page, 'make', check)
  await page.keyboard.type('Kia')
  await page.keyboard.press('Tab')
  await page.keyboard.type('Niro')
  await tabTo(page, 'seats', check)
  await page.keyboard.type('5')
  await tabTo(page, 'propulsion', check)
  await page.keyboard.press('e') // Electric
  await tabTo(page, 'wheelchair', check)
  await page.keyboard.press('ArrowDown') // No
  await tabTo(page, 'postcode', check)
  await page.keyboard.type('OX28 1AA')
  await tabTo(page, 'per-hour', check)
  await page.keyboard.type('7.50')
  await tabTo(page, 'Add vehicle', check)
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')])
  await expectText(page, 'Kia Niro is added to your fleet.', 'vehicle added by postcode (no-js)')

  // Payouts: on to Stripe's onboarding page.
  await tabTo(page, 'Payouts', check)
  await page.keyboard.press('Enter')
  await page.waitForURL('**/provider/payouts')
  await expectText(page, 'Not set up', 'payouts (no-js)')
  // The test's processor gives a link to a host that does not exist: the
  // browser must try to go there (not be stopped by the page's CSP).
  await tabTo(page, 'Set up payouts with Stripe', check)
  const toStripe = new Promise(resolve => {
    const stripe = r => new URL(r.url()).hostname === 'connect.fake.test'
    page.on('requestfailed', r => { if (stripe(r)) resolve(r.failure().errorText) })
    page.on('requestfinished', r => { if (stripe(r)) resolve('loaded') })
    setTimeout(() => resolve('no request to Stripe'), 10000)
  })
  await page.keyboard.press('Enter')
  const outcome = await toStripe
  check(outcome === 'loaded' || outcome.includes('NAME_NOT_RESOLVED'), `payouts: the way to Stripe ended with ${outcome}`)
  await context.close()
}

async function pagesWithJavaScript (browser, { base, email, visitPage, expectText, keyboardSignIn }) {
  const { context, page } = await keyboardSignIn(browser, { email, lands: '/provider' })
  await page.goto(base + '/provider/fleet/import')
  await visitPage(page, { js: true, name: 'provider-import', screenshot: true })
  await page.getByRole('button', { name: 'Import vehicles' }).click()
  await expectText(page, 'Select a CSV file, or paste the file', 'import without a file')
  await visitPage(page, { js: true, name: 'provider-import-no-file', screenshot: false })
  await page.getByLabel('Upload a CSV file').setInputFiles({
    name: 'fleet.csv', mimeType: 'text/csv', buffer: Buffer.from(badCsv.replace(/BT0/g, 'BT9'))
  })
  await page.getByRole('button', { name: 'Import vehicles' }).click()
  await expectText(page, 'Line 3, seats', 'import result (js)')
  await visitPage(page, { js: true, name: 'provider-import-result', screenshot: true })

  await page.goto(base + '/provider/fleet/import/gbfs')
  await visitPage(page, { js: true, name: 'provider-import-gbfs', screenshot: false })
  await page.getByRole('button', { name: 'Import vehicles' }).click()
  await expectText(page, 'Select your vehicle_types.json file', 'GBFS form errors')
  await visitPage(page, { js: true, name: 'provider-import-gbfs-errors', screenshot: false })

  await page.goto(base + '/provider/contact')
  await visitPage(page, { js: true, name: 'provider-contact', screenshot: true })
  await page.goto(base + '/provider/fleet/new')
  await visitPage(page, { js: true, name: 'provider-vehicle-new', screenshot: true })
  await page.goto(base + '/provider/fleet')
  await visitPage(page, { js: true, name: 'provider-fleet-imported', screenshot: false })

  await page.getByRole('link', { name: 'Payouts' }).click()
  await expectText(page, 'How you are paid', 'payouts (js)')
  await visitPage(page, { js: true, name: 'provider-payouts', screenshot: true })
  await context.close()
}

export async function providerJourney (browser, helpers) {
  await keyboardJourneyWithoutJavaScript(browser, helpers)
  await pagesWithJavaScript(browser, helpers)
}
