// Finding a vehicle in Chromium: the results with what the household pays
// first, filters and sort at the top (a GET form), "Show more" as a link,
// then booking and the confirmation's next steps. With JavaScript off by
// keyboard alone, and again with JavaScript on (axe, 375 px, screenshots).
// Called by run.mjs with its helpers; the household and the fleet are set
// up by tests/it/browser.rs (OFFERS_EMAIL).

// Presses Tab until the focused element is the one wanted (by its text or id).
async function tabTo (page, wanted, check) {
  for (let i = 0; i < 120; i++) {
    await page.keyboard.press('Tab')
    const focused = page.locator(':focus')
    if (await focused.count() === 0) continue
    const id = await focused.getAttribute('id')
    const text = (await focused.innerText().catch(() => '')).trim().replace(/\s+/g, ' ')
    if (id === wanted || text === wanted || (wanted instanceof RegExp && wanted.test(text))) return true
  }
  check(false, `keyboard: could not reach "${wanted}" with Tab on ${page.url()}`)
  return false
}

function searchPath (days) {
  const day = new Date(Date.now() + days * 24 * 3600 * 1000)
  return `/find-a-vehicle/hire?search=1&kind=HIRE&day=${day.getUTCDate()}&month=${day.getUTCMonth() + 1}` +
    `&year=${day.getUTCFullYear()}&time=11:00&hours=3&radius=5`
}

async function signIn (page, base, email, password) {
  await page.goto(base + '/sign-in')
  await page.getByLabel('Email address').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

async function results (page) {
  return page.locator('.app-offer__title').allInnerTexts()
}

async function keyboardWithoutJavaScript (browser, { base, email, password, expectText, check, visitPage }) {
  const context = await browser.newContext({ javaScriptEnabled: false })
  const page = await context.newPage()
  await signIn(page, base, email, password)
  await page.goto(base + searchPath(4))
  await expectText(page, 'Showing 5 of', 'offers: five results at first (no-js)')
  await visitPage(page, { js: false, name: 'offers-filtered', screenshot: false })
  const first = (await results(page))[0]
  check((await page.locator('.app-offer').first().innerText()).replace(/\s+/g, ' ').includes('You pay'), 'offers: "You pay" in each result')

  // "Show more" by keyboard: a link, the sixth result is where it lands.
  await tabTo(page, /^Show more vehicles/, check)
  await page.keyboard.press('Enter')
  await page.waitForURL('**#result-6')
  check((await results(page)).length > 5, 'offers: more results after "Show more" (no-js)')

  // Filter by keyboard: only cars, cheapest first.
  await tabTo(page, 'type', check)
  await page.keyboard.press('c') // "Cars"
  await tabTo(page, 'sort', check)
  await page.keyboard.press('l') // "Lowest price"
  await tabTo(page, 'Apply filters', check)
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')])
  await expectText(page, 'Sorted by lowest price', 'offers: sorted by price (no-js)')
  check(new URL(page.url()).searchParams.get('type') === 'CAR', `offers: the filter is in the address: ${page.url()}`)
  const cars = await results(page)
  check(cars.length > 0 && cars.every(r => !r.startsWith('Raleigh')), `offers: only cars: ${cars.join(', ')}`)
  check(first.length > 0, 'offers: results have names')

  // Book the first result by keyboard; the confirmation says what is next.
  await tabTo(page, /^Book /, check)
  await page.keyboard.press('Enter')
  await page.waitForURL('**/book?**')
  await tabTo(page, 'Confirm and book', check)
  await page.keyboard.press('Enter')
  await page.waitForURL('**/confirmation')
  await expectText(page, 'Booking confirmed', 'offers: booked (no-js)')
  await expectText(page, 'Collecting the vehicle', 'offers: where to collect it')
  await expectText(page, 'What to bring the driving licence of whoever will drive', 'offers: what to bring')
  await expectText(page, 'Quote your booking reference', 'offers: the reference to quote')
  await visitPage(page, { js: false, name: 'offers-confirmation', screenshot: false })
  await context.close()
}

async function withJavaScript (browser, { base, email, password, expectText, check, visitPage }) {
  const context = await browser.newContext({ bypassCSP: true })
  const page = await context.newPage()
  await signIn(page, base, email, password)
  await page.goto(base + searchPath(5))
  await visitPage(page, { js: true, name: 'offers-list', screenshot: true })
  await page.getByRole('link', { name: /^Show more vehicles/ }).click()
  await visitPage(page, { js: true, name: 'offers-more', screenshot: false })
  await page.getByLabel('Type of vehicle').selectOption('EBIKE')
  await page.getByLabel('Sort by').selectOption('distance')
  await page.getByRole('button', { name: 'Apply filters' }).click()
  await expectText(page, 'Sorted by nearest', 'offers: sorted by distance (js)')
  const bikes = await results(page)
  check(bikes.length > 0 && bikes.every(r => r.startsWith('Raleigh')), `offers: only e-bikes: ${bikes.join(', ')}`)
  await visitPage(page, { js: true, name: 'offers-e-bikes', screenshot: false })
  await page.getByRole('button', { name: /^Book / }).first().click()
  await page.getByRole('button', { name: 'Confirm and book' }).click()
  await expectText(page, 'Booking confirmed', 'offers: booked (js)')
  await expectText(page, 'no driving licence: you do not need one for an e-bike', 'offers: no licence for a bike')
  await visitPage(page, { js: true, name: 'offers-confirmation-bike', screenshot: true })
  await page.goto(base + '/bookings')
  await visitPage(page, { js: true, name: 'offers-your-bookings', screenshot: false })
  await context.close()
}

export async function offersJourney (browser, helpers) {
  await keyboardWithoutJavaScript(browser, helpers)
  await withJavaScript(browser, helpers)
}
