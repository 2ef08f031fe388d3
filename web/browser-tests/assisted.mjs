// Assisted booking in the browser: an officer, by keyboard alone, with
// JavaScript off and then on, finds a household, changes a detail of its
// profile, finds a vehicle, books and cancels for it, reads the audit
// trail and chooses letters for how the household hears from us; then
// the admin's councils pages. axe-core runs on every new page
// (with JavaScript on); screenshots of the main ones.

// Presses Tab until the focused element matches `want` (its id, or text
// that its visible text starts with or equals), at most `max` times.
async function tabTo (page, want, max = 80) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab')
    const el = page.locator(':focus')
    if (await el.count() === 0) continue
    const id = await el.getAttribute('id')
    const text = ((await el.textContent()) || '').replace(/\s+/g, ' ').trim()
    if (want.id ? id === want.id : (want.exact ? text === want.text : text.startsWith(want.text))) return true
  }
  throw new Error(`keyboard: no focusable ${JSON.stringify(want)} on ${page.url()}`)
}

// Follows the link or presses the button `text` by keyboard, waiting for the next page.
async function activate (page, text, exact = false) {
  await tabTo(page, { text, exact })
  // Every link and button activated here leads to another page: wait for it.
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')])
}

// Replaces the value of the field `id` by typing.
async function typeInto (page, id, value) {
  await tabTo(page, { id })
  await page.keyboard.press('Control+A')
  await page.keyboard.type(value)
}

// Signs in by keyboard and waits to land on `lands`.
async function signIn (page, base, email, password, lands) {
  await page.goto(base + '/sign-in')
  await typeInto(page, 'email', email)
  await typeInto(page, 'password', password)
  await Promise.all([page.waitForURL('**' + lands), page.keyboard.press('Enter')])
}

export async function assistedJourney (browser, { base, password, visitPage, expectText, check }) {
  const household = process.env.ASSISTED_EMAIL
  const officer = process.env.OFFICER_EMAIL

  for (const js of [false, true]) {
    const tag = js ? 'assisted, js' : 'assisted, no-js'
    const shot = !js
    const context = await browser.newContext({ javaScriptEnabled: js, bypassCSP: js })
    const page = await context.newPage()

    await signIn(page, base, officer, password, '/officer')

    // Find the household.
    await activate(page, 'Households', true)
    await expectText(page, 'Find a household', `household search (${tag})`)
    await activate(page, 'Search', true)
    await expectText(page, 'There is a problem', `household search error (${tag})`)
    await visitPage(page, { js, name: 'officer-household-search-errors', screenshot: false })
    await typeInto(page, 'q', household.split('@')[0])
    await Promise.all([page.waitForURL(u => u.searchParams.get('q')), page.keyboard.press('Enter')])
    await expectText(page, '1 household found', `household found (${tag})`)
    await visitPage(page, { js, name: 'officer-household-search', screenshot: shot })
    await activate(page, household)

    // Acting for it.
    await expectText(page, `You are acting for ${household}`, `acting-for banner (${tag})`)
    await visitPage(page, { js, name: 'officer-acting-for', screenshot: shot })

    // Change one answer of its profile.
    await activate(page, "Change the household's details")
    await expectText(page, `You are acting for ${household}`, `banner on the profile (${tag})`)
    await expectText(page, 'About your household', `the household's answers (${tag})`)
    await visitPage(page, { js, name: 'officer-household-profile', screenshot: shot })
    await activate(page, 'Change people in the household')
    await expectText(page, `You are acting for ${household}`, `banner on the question (${tag})`)
    await visitPage(page, { js, name: 'officer-household-question', screenshot: false })
    const members = js ? '4' : '3'
    await typeInto(page, 'members', members)
    await activate(page, 'Save', true)
    await expectText(page, "The household's details are saved.", `profile saved (${tag})`)
    await expectText(page, `People in the household ${members}`, `profile changed (${tag})`)
    await activate(page, "Back to the household's page")

    // Find a vehicle for it: a hire in three days, 10am for 4 hours.
    await activate(page, 'Find a vehicle for this household')
    await expectText(page, `You are acting for ${household}`, `banner on find (${tag})`)
    await visitPage(page, { js, name: 'officer-hire-or-lease', screenshot: false })
    await tabTo(page, { id: 'kind' })
    await page.keyboard.press('Space')
    await activate(page, 'Continue', true)
    const day = new Date(Date.now() + 3 * 24 * 3600 * 1000)
    await typeInto(page, 'day', String(day.getUTCDate()))
    await typeInto(page, 'month', String(day.getUTCMonth() + 1))
    await typeInto(page, 'year', String(day.getUTCFullYear()))
    await tabTo(page, { id: 'time' })
    await page.locator('#time').selectOption('10:00')
    await typeInto(page, 'hours', '4')
    await visitPage(page, { js, name: 'officer-find-a-vehicle', screenshot: false })
    await activate(page, 'Find vehicles', true)
    await expectText(page, 'You pay', `offers for the household (${tag})`)
    await visitPage(page, { js, name: 'officer-offers', screenshot: false })

    // Book the best offer, by invoice.
    await activate(page, 'Book ')
    await expectText(page, 'Check your booking', `check (${tag})`)
    await visitPage(page, { js, name: 'officer-check-booking', screenshot: false })
    await activate(page, 'Confirm and book', true)
    await expectText(page, 'Booking confirmed', `booked for the household (${tag})`)
    await expectText(page, `You are acting for ${household}`, `banner on the confirmation (${tag})`)
    await visitPage(page, { js, name: 'officer-booking-confirmed', screenshot: false })

    // Cancel it from the household's page.
    await activate(page, 'Back to the household', true)
    await activate(page, 'Cancel booking')
    await expectText(page, 'If you cancel now', `cancel page (${tag})`)
    await visitPage(page, { js, name: 'officer-cancel-booking', screenshot: false })
    await activate(page, 'Yes, cancel the booking', true)
    await expectText(page, 'The booking is cancelled', `cancelled for the household (${tag})`)

    // The audit trail, with the officer's name.
    await page.goto(base + new URL(page.url()).pathname.replace(/\/bookings\/.*$/, '/audit'))
    for (const what of ['Cancelled a booking', 'Booked a vehicle', 'Searched for vehicles', "Changed the household's details", officer]) {
      await expectText(page, what, `audit trail (${tag})`)
    }
    await visitPage(page, { js, name: 'officer-audit-trail', screenshot: shot })

    // How the household hears from us: letters, chosen for it.
    await page.goto(base + new URL(page.url()).pathname.replace(/\/audit$/, ''))
    await activate(page, 'Change how the household hears from us', true)
    await expectText(page, 'Messages we sent the household', `officer contact preferences (${tag})`)
    await visitPage(page, { js, name: 'officer-contact-preferences', screenshot: shot })
    await page.getByLabel('Letter', { exact: true }).check()
    await page.locator('#address-line-1').fill('1 High Street')
    await page.locator('#address-town').fill('Witney')
    await page.locator('#postcode').fill('OX28 4AB')
    await activate(page, 'Save', true)
    await expectText(page, 'We will contact the household by letter', `officer contact preferences saved (${tag})`)
    await visitPage(page, { js, name: 'officer-contact-preferences-saved', screenshot: false })
    await context.close()
  }

  // The admin: councils, and a new one with its boundary file.
  const context = await browser.newContext({ bypassCSP: true })
  const page = await context.newPage()
  await signIn(page, base, process.env.ADMIN_EMAIL, process.env.ADMIN_PASSWORD, '/admin')
  await expectText(page, 'Councils', 'admin councils')
  await visitPage(page, { js: true, name: 'admin-councils', screenshot: true })
  await activate(page, 'Create a council', true)
  await activate(page, 'Create the council', true)
  await expectText(page, 'There is a problem', 'new council errors')
  await visitPage(page, { js: true, name: 'admin-new-council-errors', screenshot: false })
  await typeInto(page, 'name', 'Cherwell')
  await typeInto(page, 'code', 'CHW')
  await page.locator('#boundary').setInputFiles({
    name: 'cherwell.geojson',
    mimeType: 'application/geo+json',
    buffer: Buffer.from(JSON.stringify({
      type: 'Polygon',
      coordinates: [[[-1.5, 51.9], [-1.1, 51.9], [-1.1, 52.2], [-1.5, 52.2], [-1.5, 51.9]]]
    }))
  })
  await typeInto(page, 'officer-email', `officer-${Date.now()}@cherwell.test`)
  await typeInto(page, 'officer-password', password)
  await visitPage(page, { js: true, name: 'admin-new-council', screenshot: false })
  await activate(page, 'Create the council', true)
  await expectText(page, 'Cherwell (CHW) is created', 'council created')
  check(new URL(page.url()).pathname === '/admin', `after creating a council: ${page.url()}`)
  await visitPage(page, { js: true, name: 'admin-council-created', screenshot: false })
  await context.close()
}
