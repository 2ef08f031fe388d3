// The council officer's journey in Chromium: with JavaScript off and the
// keyboard alone, sign in, add a zone from a GeoJSON file, see it on the
// map, build a scheme with two criteria, add a test case, try the scheme
// on the council's households, publish it, and import postcodes. Then,
// with JavaScript on, every officer page and its refusals through axe-core.

const CARTERTON = JSON.stringify({
  type: 'FeatureCollection',
  features: [{
    type: 'Feature',
    properties: { name: 'Carterton' },
    geometry: { type: 'Polygon', coordinates: [[[-1.62, 51.74], [-1.56, 51.74], [-1.56, 51.78], [-1.62, 51.78], [-1.62, 51.74]]] }
  }]
})
const EYNSHAM = JSON.stringify({
  type: 'Polygon',
  coordinates: [[[-1.40, 51.76], [-1.35, 51.76], [-1.35, 51.79], [-1.40, 51.79], [-1.40, 51.76]]]
})
const POSTCODES = 'pcd,pcds,lat,long\nOX297AB,OX29 7AB,51.8000,-1.4200\nOX183AA,OX18 3AA,51.7600,-1.5900\n'
const BAD_POSTCODES = 'pcds,lat,long\nOX29 7AB,51.80,-1.42\nNOT A POSTCODE,51.7,-1.4\n'

export async function officerJourney (browser, { base, password, email, visitPage, expectText, check, keyboardSignIn }) {
  await withoutJavaScript(browser, { base, password, email, visitPage, expectText, check })
  await withJavaScript(browser, { base, email, visitPage, expectText, check, keyboardSignIn })
}

// Presses Tab until the element matching `selector` has the focus.
async function tabTo (page, selector, check, what) {
  for (let i = 0; i < 400; i++) {
    if (await page.locator(`${selector}:focus`).count()) return true
    await page.keyboard.press('Tab')
  }
  check(false, `keyboard: could not reach ${what || selector} with Tab`)
  return false
}

async function typeInto (page, selector, text, check) {
  if (await tabTo(page, selector, check)) await page.keyboard.type(text)
}

// Replaces what a field holds, by keyboard.
async function replaceText (page, selector, text, check) {
  if (!await tabTo(page, selector, check)) return
  await page.keyboard.press('Control+A')
  await page.keyboard.type(text)
}

// Counts of households are never 1 to 9 on the page: "fewer than 10".
async function smallNumbersWithheld (page, check, what) {
  const shown = await page.locator('main .govuk-summary-list__row').evaluateAll(rows => rows
    .map(r => [r.querySelector('dt')?.innerText.trim() || '', r.querySelector('dd')?.innerText.trim() || ''])
    .filter(([k]) => /^(Households|Could get it|Do not meet)/.test(k)))
  check(shown.length > 0, `${what}: counts shown`)
  for (const [k, v] of shown) check(!/^[1-9]$/.test(v), `${what}: "${k}" shows ${v}, not "fewer than 10"`)
}

// Activates a link or button by keyboard and waits for the next page.
async function press (page, selector, check, what) {
  if (!await tabTo(page, selector, check, what)) return
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')])
}

// Chooses the `n`th option after the first of a focused select with arrows.
async function choose (page, selector, n, check) {
  if (!await tabTo(page, selector, check)) return
  for (let i = 0; i < n; i++) await page.keyboard.press('ArrowDown')
}

// A file input opened by the keyboard; the chooser gets `file`.
async function chooseFile (page, selector, file, check) {
  if (!await tabTo(page, selector, check)) return
  // Space opens a focused file input's chooser; if Chromium drops a key
  // press (it can, straight after a navigation or on a busy machine), Enter
  // opens it too, and both are tried again with the input still focused.
  let chooser
  const keys = ['Space', 'Enter', 'Space', 'Enter']
  for (const [i, key] of keys.entries()) {
    try {
      [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: 10000 }), page.keyboard.press(key)])
      break
    } catch (e) {
      if (i === keys.length - 1) throw e
      const focused = await page.evaluate(s => document.activeElement === document.querySelector(s), selector)
      if (!focused && !await tabTo(page, selector, check)) return
    }
  }
  await chooser.setFiles(file)
}

async function withoutJavaScript (browser, { base, password, email, visitPage, expectText, check }) {
  const js = false
  const context = await browser.newContext({ javaScriptEnabled: false })
  const page = await context.newPage()

  // Sign in.
  await page.goto(base + '/sign-in')
  await typeInto(page, '#email', email, check)
  await typeInto(page, '#password', password, check)
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')])
  check(new URL(page.url()).pathname === '/officer', `officer (no-js): signed in to ${page.url()}`)

  // A zone from a GeoJSON file, then the map.
  await press(page, 'a[href="/officer/zones"]', check, 'the Zones link')
  await expectText(page, 'Witney', 'zones (no-js)')
  await press(page, 'a[href="/officer/zones/new"]', check, 'Add a zone')
  await typeInto(page, '#name', 'Carterton', check)
  await chooseFile(page, '#file', { name: 'carterton.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(CARTERTON) }, check)
  await visitPage(page, { js, name: 'officer-zone-new', screenshot: true })
  await press(page, 'main form button[type=submit]', check, 'Add zone')
  await expectText(page, 'The zone Carterton is added.', 'zone added (no-js)')
  await expectText(page, 'Carterton', 'zones table (no-js)')
  check(await page.locator('svg.app-map__svg path').count() === 3, 'the map draws the boundary and two zones')
  await visitPage(page, { js, name: 'officer-zones-map', screenshot: true })

  // A scheme with two criteria through the builder.
  await press(page, 'a[href="/officer/schemes"]', check, 'the Schemes link')
  await press(page, 'a[href="/officer/schemes/new"]', check, 'Create a scheme')
  await typeInto(page, '#name', 'Car-free help', check)
  await choose(page, '#c0-fact', 1, check) // Household income
  await choose(page, '#c0-op', 0, check) // is less than
  await typeInto(page, '#c0-value', '25000', check)
  await press(page, 'button[value="add"]', check, 'Add another criterion')
  check(await page.locator('#c1-fact').count() === 1, 'Add another criterion gives a second row without JavaScript')
  check(await page.locator('#c0-value').inputValue() === '25000', 'the first row is kept')
  await choose(page, '#c1-fact', 3, check) // Number of cars
  await choose(page, '#c1-op', 4, check) // is
  await typeInto(page, '#c1-value', '0', check)
  await typeInto(page, '#percent', '50', check)
  await typeInto(page, '#budget', '10000', check)
  check(await page.locator('#c1-fact').inputValue() === 'cars', 'the keyboard chose the fact')
  check(await page.locator('#c1-op').inputValue() === 'eq', 'the keyboard chose the comparison')
  await visitPage(page, { js, name: 'officer-scheme-builder', screenshot: true })
  await press(page, 'button.govuk-button[value="save"]', check, 'Save draft')
  await expectText(page, 'Car-free help is saved as a draft.', 'scheme saved (no-js)')
  await expectText(page, 'Household income is less than £25,000', 'criterion 1 (no-js)')
  await expectText(page, 'Number of cars the household owns is 0', 'criterion 2 (no-js)')
  await visitPage(page, { js, name: 'officer-scheme', screenshot: true })

  // A test case.
  await press(page, 'a[href$="/test-cases"]', check, 'Add a test case')
  await typeInto(page, '#name', 'Low income, no car', check)
  await typeInto(page, '#income', '18000', check)
  await typeInto(page, '#cars', '0', check)
  if (await tabTo(page, '#expect', check)) await page.keyboard.press('Space')
  await press(page, 'main form button[type=submit]', check, 'Add test case')
  await expectText(page, 'The test case Low income, no car is added: it passes.', 'test case (no-js)')

  // Try it, then what if: another income limit and share, by keyboard
  // alone; nothing is saved. Then publish.
  await press(page, 'a[href$="/try"]', check, 'Try it')
  await expectText(page, 'Could get it', 'simulation (no-js)')
  await smallNumbersWithheld(page, check, 'simulation (no-js)')
  await visitPage(page, { js, name: 'officer-scheme-simulation', screenshot: true })
  await replaceText(page, '#income', '35000', check)
  await replaceText(page, '#percent', '100', check)
  await press(page, 'main form button[type=submit]', check, 'Try these numbers')
  await expectText(page, 'With your changes', 'what-if (no-js)')
  await expectText(page, 'Tried: income limit £35,000, pays 100%.', 'what-if: the changes in words (no-js)')
  await expectText(page, 'The scheme as it is', 'what-if: the scheme as it is beside it (no-js)')
  await smallNumbersWithheld(page, check, 'what-if (no-js)')
  await visitPage(page, { js, name: 'officer-scheme-what-if', screenshot: true })
  await press(page, 'a.govuk-back-link', check, 'Back to the scheme')
  await expectText(page, '50% of the price', 'the what-if changed nothing (no-js)')
  await press(page, 'a[href$="/publish"]', check, 'Publish')
  await expectText(page, 'Publish Car-free help?', 'publish confirmation (no-js)')
  await press(page, 'main form button[type=submit]', check, 'Publish scheme')
  await expectText(page, 'Car-free help is published.', 'published (no-js)')

  // Postcodes.
  await press(page, 'a[href="/officer/postcodes"]', check, 'the Postcodes link')
  await visitPage(page, { js, name: 'officer-postcodes', screenshot: true })
  await chooseFile(page, '#file', { name: 'postcodes.csv', mimeType: 'text/csv', buffer: Buffer.from(POSTCODES) }, check)
  await press(page, 'main form button[type=submit]', check, 'Import postcodes')
  await expectText(page, '2 postcodes are imported.', 'postcodes imported (no-js)')
  await chooseFile(page, '#file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(BAD_POSTCODES) }, check)
  await press(page, 'main form button[type=submit]', check, 'Import postcodes')
  await expectText(page, 'is not a postcode or postcode district', 'postcode row errors (no-js)')
  await visitPage(page, { js, name: 'officer-postcodes-errors', screenshot: true })
  await context.close()
}

async function withJavaScript (browser, { base, email, visitPage, expectText, check, keyboardSignIn }) {
  const js = true
  const { context, page } = await keyboardSignIn(browser, { email, lands: '/officer' })

  await page.goto(base + '/officer/zones')
  await visitPage(page, { js, name: 'officer-zones', screenshot: false })
  await page.getByRole('button', { name: 'Add a zone' }).click()
  await visitPage(page, { js, name: 'officer-zone-form', screenshot: false })
  await page.getByLabel('Name of the zone').fill('Eynsham')
  await page.getByLabel('Or paste the GeoJSON').fill('{"type": "Polygon", ')
  await page.getByRole('button', { name: 'Add zone' }).click()
  await expectText(page, 'The GeoJSON is not valid JSON', 'bad GeoJSON')
  await visitPage(page, { js, name: 'officer-zone-errors', screenshot: true })
  await page.getByLabel('Or paste the GeoJSON').fill('')
  await page.getByLabel('Upload a GeoJSON file').setInputFiles({ name: 'eynsham.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(EYNSHAM) })
  await page.getByRole('button', { name: 'Add zone' }).click()
  await expectText(page, 'The zone Eynsham is added.', 'zone added (js)')
  await visitPage(page, { js, name: 'officer-zones-three', screenshot: false })

  // A scheme whose test case fails: publishing is refused, plainly.
  await page.goto(base + '/officer/schemes')
  await visitPage(page, { js, name: 'officer-schemes-list', screenshot: false })
  await page.getByRole('button', { name: 'Create a scheme' }).click()
  await visitPage(page, { js, name: 'officer-scheme-new', screenshot: false })
  await page.getByLabel('Name of the scheme').fill('Older residents')
  await page.locator('#c0-fact').selectOption('lead-age')
  await page.locator('#c0-op').selectOption('ge')
  await page.locator('#c0-value').fill('sixty')
  await page.getByLabel('Share of the price the scheme pays (%)').fill('30')
  await page.getByLabel('Budget, in pounds').fill('5000')
  await page.getByLabel('Eynsham').check()
  await page.getByRole('button', { name: 'Save draft' }).click()
  await expectText(page, 'must be a whole number', 'bad criterion value')
  await visitPage(page, { js, name: 'officer-scheme-errors', screenshot: true })
  await page.getByRole('button', { name: 'Add a criterion in JSON Logic' }).click()
  await visitPage(page, { js, name: 'officer-scheme-rule-row', screenshot: false })
  await page.locator('#c0-value').fill('65')
  await page.locator('#c1-label').fill('Holds a Blue Badge or is 80 or older')
  await page.locator('#c1-rule').fill('{"or": [{"var": "household.blueBadge"}, {">=": [{"var": "household.leadAge"}, 80]}]}')
  await page.getByRole('button', { name: 'Save draft' }).click()
  await expectText(page, 'Older residents is saved as a draft.', 'scheme saved (js)')
  await visitPage(page, { js, name: 'officer-scheme-draft', screenshot: false })
  await page.getByRole('button', { name: 'Change the draft' }).click()
  await visitPage(page, { js, name: 'officer-scheme-edit', screenshot: false })
  await page.goBack()
  await page.getByRole('button', { name: 'Add a test case' }).click()
  await visitPage(page, { js, name: 'officer-test-case', screenshot: false })
  await page.getByRole('button', { name: 'Add test case' }).click()
  await expectText(page, 'There is a problem', 'test case errors')
  await visitPage(page, { js, name: 'officer-test-case-errors', screenshot: false })
  await page.getByLabel('Name of the test case').fill('Young, expected to qualify')
  await page.getByLabel('Age of the lead member').fill('30')
  await page.locator('#expect').check()
  await page.getByRole('button', { name: 'Add test case' }).click()
  await expectText(page, 'it fails', 'failing test case')
  // The rule as JSON Logic is behind a details, the criteria in words first.
  await page.getByText('Show the rule as JSON Logic').click()
  check(await page.getByRole('figure').filter({ hasText: 'JSON Logic rule' }).isVisible(), 'the JSON Logic opens as a named figure')
  await visitPage(page, { js, name: 'officer-scheme-json-logic', screenshot: false })
  await page.getByRole('button', { name: 'Try it on the council’s households' }).click()
  await visitPage(page, { js, name: 'officer-scheme-try', screenshot: false })
  await page.getByLabel('Share of the price the scheme pays (%)').fill('150')
  await page.getByRole('button', { name: 'Try these numbers' }).click()
  await expectText(page, 'The share must be a number from 0 to 100', 'what-if refused')
  await visitPage(page, { js, name: 'officer-scheme-try-errors', screenshot: false })
  await page.getByLabel('Share of the price the scheme pays (%)').fill('75')
  await page.getByRole('button', { name: 'Try these numbers' }).click()
  await expectText(page, 'pays 75%.', 'what-if with JavaScript')
  await smallNumbersWithheld(page, check, 'what-if')
  await visitPage(page, { js, name: 'officer-scheme-what-if-js', screenshot: false })
  await page.getByRole('link', { name: 'Back to the scheme' }).click()
  await page.getByRole('button', { name: 'Publish' }).click()
  await visitPage(page, { js, name: 'officer-scheme-publish', screenshot: false })
  await page.getByRole('button', { name: 'Publish scheme' }).click()
  await expectText(page, 'The scheme was not changed', 'publish refused')
  await expectText(page, 'failed', 'publish refused: the failing test case')
  await visitPage(page, { js, name: 'officer-publish-refused', screenshot: true })

  // The published scheme of the journey without JavaScript: its steps.
  await page.goto(base + '/officer/schemes')
  await page.getByRole('link', { name: 'Car-free help' }).click()
  await visitPage(page, { js, name: 'officer-scheme-published', screenshot: false })
  for (const [button, name] of [['Start a new version', 'revise'], ['Pause', 'pause'], ['Close', 'close']]) {
    await page.getByRole('button', { name: button, exact: true }).click()
    await visitPage(page, { js, name: `officer-scheme-${name}`, screenshot: false })
    await page.goBack()
  }

  await page.goto(base + '/officer/postcodes')
  await visitPage(page, { js, name: 'officer-postcodes-form', screenshot: false })
  await page.getByRole('button', { name: 'Import postcodes' }).click()
  await expectText(page, 'Choose the CSV file', 'postcodes without a file')
  await page.getByLabel('Upload a CSV file').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(BAD_POSTCODES) })
  await page.getByRole('button', { name: 'Import postcodes' }).click()
  await visitPage(page, { js, name: 'officer-postcodes-row-errors', screenshot: false })
  await context.close()
}
