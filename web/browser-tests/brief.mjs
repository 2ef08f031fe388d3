// The main journey of BRIEF.md, chained, through the pages only and with
// JavaScript off: the admin creates a council with its boundary and first
// officer; the officer adds a zone, imports the council's postcodes, writes a
// scheme with the criteria builder, adds a test case and publishes it; a new
// provider registers, applies to the council and is approved, then lists a
// vehicle in the zone with its prices; a new household signs up, fills its
// profile, qualifies, finds the vehicle with the council's subsidy and books
// it by invoice; a second household, which had the same vehicle and time
// open, is refused; the first household cancels with the refund shown; the
// officer's report counts the booking ("fewer than 10"). Every step builds
// on the one before. Pages no other journey checks in the same state go
// through axe-core (a copy of the page, in a context with JavaScript);
// screenshots are named brief-*.

// The council (away from the other councils of the test), its zone, and a
// postcode and a vehicle inside the zone, a few hundred metres apart.
const BOUNDARY = { type: 'Polygon', coordinates: [[[-2.0, 51.5], [-1.8, 51.5], [-1.8, 51.6], [-2.0, 51.6], [-2.0, 51.5]]] }
const ZONE = {
  type: 'FeatureCollection',
  features: [{
    type: 'Feature',
    properties: { name: 'Town centre' },
    geometry: { type: 'Polygon', coordinates: [[[-1.95, 51.52], [-1.85, 51.52], [-1.85, 51.58], [-1.95, 51.58], [-1.95, 51.52]]] }
  }]
}
const POSTCODE = 'SN2 1BR'
const POSTCODES = `pcds,lat,long\n${POSTCODE},51.5500,-1.9000\n`

export async function briefJourney (browser, { base, password, visitPage, expectText, check }) {
  const stamp = Date.now()
  const council = `Brief Vale ${stamp}`
  const code = `BV${String(stamp).slice(-8)}`
  const officer = `officer-${stamp}@brief.test`
  const scheme = `EV lease support ${stamp}`
  const zone = `Town centre ${stamp}`
  const provider = `Brief Car Club ${stamp}`
  const providerEmail = `fleet-${stamp}@brief.test`
  const households = [`first-${stamp}@brief.test`, `second-${stamp}@brief.test`]

  const contexts = []
  // A context with JavaScript off for each person of the journey.
  const person = async () => {
    const context = await browser.newContext({ javaScriptEnabled: false })
    contexts.push(context)
    return context.newPage()
  }
  // axe-core needs JavaScript: the page as served, in a context that has it.
  const axeContext = await browser.newContext({ bypassCSP: true })
  contexts.push(axeContext)
  const axe = async (page, name) => {
    const html = await page.content()
    const url = page.url()
    const copy = await axeContext.newPage()
    await copy.route(u => u.href === url, r => r.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }))
    await copy.goto(url)
    await visitPage(copy, { js: true, name, screenshot: false })
    await copy.close()
  }
  const shot = (page, name) => visitPage(page, { js: false, name, screenshot: true })
  const signIn = async (page, email, secret, lands) => {
    await page.goto(base + '/sign-in')
    await page.getByLabel('Email address').fill(email)
    await page.getByLabel('Password').fill(secret)
    await page.getByRole('button', { name: 'Sign in' }).click()
    check(new URL(page.url()).pathname === lands, `brief: ${email} signed in to ${page.url()}, not ${lands}`)
  }
  const nav = (page, name) => page.getByRole('link', { name, exact: true }).first().click()

  try {
    // 1. The admin creates the council with its boundary and first officer.
    const admin = await person()
    await signIn(admin, process.env.ADMIN_EMAIL, process.env.ADMIN_PASSWORD, '/admin')
    await admin.getByRole('button', { name: 'Create a council' }).click()
    await admin.getByLabel('Council name').fill(council)
    await admin.getByLabel('Short code').fill(code)
    await admin.getByLabel("The council's boundary").setInputFiles({
      name: 'boundary.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(BOUNDARY))
    })
    await admin.getByLabel("Officer's email address").fill(officer)
    await admin.getByLabel("Officer's first password").fill(password)
    await admin.getByRole('button', { name: 'Create the council' }).click()
    await expectText(admin, `${council} (${code}) is created. Its first officer can sign in as ${officer}.`, 'brief: council created')
    await expectText(admin, council, 'brief: the council in the list')

    // 2. Its officer: a zone, the postcodes, a scheme with a test case, published.
    const off = await person()
    await signIn(off, officer, password, '/officer')
    await expectText(off, council, 'brief: the officer works for the new council')
    await nav(off, 'Zones')
    await off.getByRole('button', { name: 'Add a zone' }).click()
    await off.getByLabel('Name of the zone').fill(zone)
    await off.getByLabel('Upload a GeoJSON file').setInputFiles({
      name: 'zone.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(ZONE))
    })
    await off.getByRole('button', { name: 'Add zone' }).click()
    await expectText(off, `The zone ${zone} is added.`, 'brief: zone added')
    check(await off.locator('svg.app-map__svg path').count() === 2, 'brief: the map draws the boundary and the zone')
    await shot(off, 'brief-officer-zone')

    await nav(off, 'Postcodes')
    await off.getByLabel('Upload a CSV file').setInputFiles({ name: 'postcodes.csv', mimeType: 'text/csv', buffer: Buffer.from(POSTCODES) })
    await off.getByRole('button', { name: 'Import postcodes' }).click()
    await expectText(off, '1 postcode is imported.', 'brief: postcodes imported')

    await nav(off, 'Schemes')
    await off.getByRole('button', { name: 'Create a scheme' }).click()
    await off.getByLabel('Name of the scheme').fill(scheme)
    await off.locator('#c0-fact').selectOption('income')
    await off.locator('#c0-op').selectOption('lt')
    await off.locator('#c0-value').fill('25000')
    await off.getByRole('button', { name: 'Add another criterion' }).click()
    check(await off.locator('#c0-value').inputValue() === '25000', 'brief: the first criterion is kept')
    await off.locator('#c1-fact').selectOption('cars')
    await off.locator('#c1-op').selectOption('eq')
    await off.locator('#c1-value').fill('0')
    await off.getByLabel('Share of the price the scheme pays (%)').fill('40')
    await off.getByLabel('Most it pays per booking, in pounds (optional)').fill('120')
    await off.getByLabel('Budget, in pounds').fill('200000')
    check(await off.getByLabel('Hires by the hour or day').isChecked(), 'brief: the scheme pays towards hires')
    check(await off.getByLabel('Monthly leases').isChecked(), 'brief: the scheme pays towards leases')
    await off.getByLabel(zone).check()
    await off.getByRole('button', { name: 'Save draft' }).last().click()
    await expectText(off, `${scheme} is saved as a draft.`, 'brief: scheme saved')
    await expectText(off, 'Household income is less than £25,000', 'brief: criterion 1')
    await expectText(off, 'Number of cars the household owns is 0', 'brief: criterion 2')
    await off.getByRole('button', { name: 'Add a test case' }).click()
    await off.getByLabel('Name of the test case').fill('Low income, no car')
    await off.getByLabel('Household income, in pounds a year').fill('18000')
    await off.getByLabel('Cars the household owns').fill('0')
    await off.locator('#expect').check()
    await off.getByRole('button', { name: 'Add test case' }).click()
    await expectText(off, 'The test case Low income, no car is added: it passes.', 'brief: test case')
    await off.getByRole('button', { name: 'Publish', exact: true }).click()
    await expectText(off, `Publish ${scheme}?`, 'brief: publish confirmation')
    await off.getByRole('button', { name: 'Publish scheme' }).click()
    await expectText(off, `${scheme} is published.`, 'brief: scheme published')
    await shot(off, 'brief-officer-scheme-published')

    // 3. A provider registers, applies to the council and is approved.
    const prov = await person()
    await prov.goto(base + '/provider/sign-up')
    await prov.getByLabel('Organisation name').fill(provider)
    await prov.getByLabel('Your email address').fill(providerEmail)
    await prov.getByLabel('Create a password').fill(password)
    await prov.getByRole('button', { name: 'Register' }).click()
    check(new URL(prov.url()).pathname === '/provider', `brief: registered provider landed on ${prov.url()}`)
    await expectText(prov, 'You do not operate in any council yet', 'brief: a new provider operates nowhere')
    await prov.getByLabel('Apply to a council').selectOption({ label: council })
    await prov.getByRole('button', { name: 'Apply' }).click()
    await expectText(prov, 'You have applied.', 'brief: applied')
    await expectText(prov, `${council} Waiting for approval`, 'brief: the application waits')
    await axe(prov, 'brief-provider-applied')

    await nav(off, 'Providers')
    await expectText(off, `${provider} Waiting for approval`, 'brief: the officer sees the application')
    await axe(off, 'brief-officer-providers-waiting')
    await shot(off, 'brief-officer-providers-waiting')
    await off.getByRole('button', { name: `Approve ${provider}` }).click()
    await expectText(off, `${provider} is approved.`, 'brief: provider approved')
    await expectText(off, `${provider} Approved`, 'brief: provider shown approved')

    // 4. The provider lists a vehicle inside the zone, with its prices.
    await prov.reload()
    await expectText(prov, `${council} Approved`, 'brief: the provider is approved')
    await nav(prov, 'Fleet')
    await prov.getByRole('button', { name: 'Add a vehicle' }).click()
    await prov.getByLabel('Kind of vehicle').selectOption('CAR')
    await prov.getByLabel('Make', { exact: true }).fill('Renault')
    await prov.getByLabel('Model', { exact: true }).fill('Zoe')
    await prov.getByLabel('Registration (optional)').fill(`BV${String(stamp).slice(-5)}`)
    await prov.getByLabel('Seats', { exact: true }).fill('5')
    await prov.getByLabel('How it is powered').selectOption('ELECTRIC')
    await prov.getByRole('group', { name: 'Can a wheelchair user travel in it?' }).getByLabel('No').check()
    // Placed by its postcode, looked up in the council's postcodes.
    await prov.getByLabel('Postcode', { exact: true }).fill(POSTCODE)
    await prov.getByLabel('An hour (optional)').fill('10.00')
    await prov.getByLabel('A day (optional)').fill('60.00')
    await prov.getByRole('button', { name: 'Add vehicle' }).click()
    await expectText(prov, 'Renault Zoe is added to your fleet.', 'brief: vehicle added')
    await axe(prov, 'brief-provider-fleet')
    // Where households collect it and how they reach the provider.
    await nav(prov, 'Contact details')
    await prov.getByLabel('Pick-up address').fill(`${provider}\nHigh Street\nSwindon ${POSTCODE}`)
    await prov.getByLabel('Phone number').fill('01793 555000')
    await prov.getByLabel('Email address').fill(`bookings-${stamp}@brief.test`)
    await prov.getByRole('button', { name: 'Save contact details' }).click()
    await expectText(prov, 'Your contact details are saved.', 'brief: contact details saved')
    await axe(prov, 'brief-provider-contact')

    // 5. Two households check what they could get, then sign up with their answers.
    const home = []
    for (const email of households) {
      const h = await person()
      home.push(h)
      await h.goto(base + '/')
      await h.getByRole('button', { name: 'Start now' }).click()
      // The checker: the postcode finds the council (or asks which), then
      // one question a page, check your answers, the result, an account.
      await h.getByLabel('What is your postcode?').fill(POSTCODE)
      await h.getByRole('button', { name: 'Continue' }).click()
      if (await h.getByRole('heading', { name: 'Which council do you live in?' }).count()) {
        await h.getByLabel(council, { exact: true }).check()
        await h.getByRole('button', { name: 'Continue' }).click()
      }
      const next = () => h.getByRole('button', { name: 'Continue' }).click()
      await h.getByLabel('How many people live in your household?').fill('2'); await next()
      await h.getByLabel('£15,000 to £24,999').check(); await next()
      await h.getByRole('group', { name: 'How many cars does your household own?' }).getByLabel('None').check(); await next()
      await h.getByRole('group', { name: 'Does anyone in your household hold a Blue Badge?' }).getByLabel('No').check(); await next()
      // The council's one scheme reads neither benefits nor age: not asked.
      await h.getByLabel('How many seats do you usually need?').fill('4'); await next()
      await h.getByRole('group', { name: 'Does anyone travelling need a wheelchair-accessible vehicle?' }).getByLabel('No').check(); await next()
      await h.getByRole('group', { name: 'Would you prefer an electric vehicle?' }).getByLabel('Yes').check(); await next()
      await expectText(h, 'Check your answers', `brief: answers of ${email}`)
      await h.getByRole('button', { name: 'See what you could get' }).click()
      await expectText(h, scheme, `brief: the checker shows the scheme to ${email}`)
      await h.getByRole('button', { name: 'Create an account to book' }).click()
      await h.getByLabel('Email address').fill(email)
      await h.getByLabel('Create a password').fill(password)
      await h.getByRole('button', { name: 'Create account' }).click()
      await expectText(h, 'Your account is created and your answers are saved.', `brief: answers kept for ${email}`)
      // What it can get: the new scheme, each criterion in words.
      await expectText(h, scheme, `brief: the scheme for ${email}`)
      await expectText(h, 'You can get this', `brief: ${email} qualifies`)
    }
    const [first, second] = home
    await shot(first, 'brief-what-you-can-get')

    // 6. Both look for a hire in three days, 10am for 4 hours, and open the
    // vehicle's offer: £40 of which the council pays 40%.
    const day = new Date(Date.now() + 3 * 24 * 3600 * 1000)
    for (const h of home) {
      await h.getByRole('link', { name: 'Find a vehicle' }).first().click()
      await h.getByLabel('Hire').check()
      await h.getByRole('button', { name: 'Continue' }).click()
      await h.getByLabel('Day').fill(String(day.getUTCDate()))
      await h.getByLabel('Month').fill(String(day.getUTCMonth() + 1))
      await h.getByLabel('Year').fill(String(day.getUTCFullYear()))
      await h.getByLabel('Start time').selectOption('10:00')
      await h.getByLabel('How many hours do you need it for?').fill('4')
      await h.getByRole('button', { name: 'Find vehicles' }).click()
      await expectText(h, 'Renault Zoe', 'brief: the vehicle is offered')
      await expectText(h, `From ${provider}`, 'brief: the offer names the provider')
      await expectText(h, `You pay £24 Full price £40. The council pays £16 from ${scheme}.`, 'brief: the offer shows what the household pays first, then the subsidy')
      await h.getByRole('button', { name: 'Book Renault Zoe' }).click()
      await expectText(h, 'Check your booking', 'brief: check your booking')
      await expectText(h, 'How you pay We send you an invoice', 'brief: paid by invoice')
    }
    await shot(first, 'brief-check-your-booking')

    // 7. The first household books; the second, a moment later, is refused.
    await first.getByRole('button', { name: 'Confirm and book' }).click()
    await expectText(first, 'Booking confirmed', 'brief: booking confirmed')
    await expectText(first, 'You pay £24 by invoice. We send you the invoice', 'brief: the invoice')
    await expectText(first, `Collect it from ${provider} at: ${provider} High Street Swindon ${POSTCODE}`, 'brief: where to collect it')
    await expectText(first, 'Phone: 01793 555000', 'brief: whom to contact')
    await shot(first, 'brief-booking-confirmed')
    await second.getByRole('button', { name: 'Confirm and book' }).click()
    await expectText(second, 'Your booking was not made: the vehicle you chose is no longer free for that time.', 'brief: the second household is refused')
    await expectText(second, 'No vehicle is free then', 'brief: the vehicle is no longer offered')
    await axe(second, 'brief-vehicle-taken')
    await shot(second, 'brief-vehicle-taken')
    await second.getByRole('link', { name: 'Your bookings' }).click()
    check(await second.locator('main table a').count() === 0, 'brief: the second household has no booking')

    // 8. The first household cancels, the refund shown first.
    await first.getByRole('link', { name: 'See all your bookings' }).click()
    await first.locator('main table a').first().click()
    await first.getByRole('button', { name: 'Cancel this booking' }).click()
    await expectText(first, 'If you cancel now, you will not have to pay the £24', 'brief: what cancelling takes off the invoice')
    await first.getByRole('button', { name: 'Yes, cancel the booking' }).click()
    await expectText(first, 'Your booking is cancelled', 'brief: cancelled')
    await shot(first, 'brief-booking-cancelled')

    // 9. The officer's report: the booking was cancelled, so it is counted
    // apart with its refund, in none of the money that stands; small
    // counts stay vague.
    await nav(off, 'Reports')
    await expectText(off, 'Bookings 0', 'brief: no booking stands')
    await expectText(off, 'Total price £0 Council subsidy £0 Households pay £0', 'brief: the money adds up')
    await expectText(off, 'Cancelled fewer than 10 bookings, £24 given back', 'brief: the cancelled booking apart')
    await axe(off, 'brief-officer-reports')
    await shot(off, 'brief-officer-reports')
  } finally {
    for (const c of contexts) await c.close()
  }
}
