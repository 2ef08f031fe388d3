// Browser tests of the web front end in Debian's Chromium (playwright-core):
// the household journey with JavaScript off and on, sign-in by keyboard
// alone, axe-core on every page (zero WCAG 2.2 A/AA violations allowed) and
// a screenshot of each main page. Started by tests/it/browser.rs, which runs
// the stack and the front end and passes where they are in the environment.

import { chromium } from 'playwright-core'
import { createRequire } from 'node:module'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { officerJourney } from './officer.mjs'
import { providerJourney } from './provider.mjs'
import { cardJourney } from './card.mjs'
import { reportsJourney } from './reports.mjs'
import { assistedJourney } from './assisted.mjs'
import { briefJourney } from './brief.mjs'
import { householdKeyboardJourney } from './household-keyboard.mjs'
import { accountJourney } from './account.mjs'
import { offersJourney } from './offers.mjs'
import { statutoryJourney } from './statutory.mjs'

const require = createRequire(import.meta.url)
const axeSource = require('axe-core').source

const base = process.env.BASE_URL
const shots = process.env.SCREENSHOT_DIR
const council = process.env.COUNCIL_NAME
const password = process.env.PASSWORD
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium'
mkdirSync(shots, { recursive: true })

const failures = []
const checked = new Set()

function check (ok, what) {
  if (!ok) failures.push(what)
}

// axe-core on the page as it is; every violation is a failure.
async function axe (page, name) {
  await page.addScriptTag({ content: axeSource })
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }
  }))
  checked.add(name)
  for (const v of result.violations) {
    failures.push(`axe on ${name}: ${v.id} (${v.impact}): ${v.help}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)
  }
}

// No page may be wider than a 375 px phone screen: measured at that size
// on every page visited (the offending elements are named on failure).
async function phoneWidth (page, name) {
  const size = page.viewportSize()
  await page.setViewportSize({ width: 375, height: 740 })
  const wide = await page.evaluate(() => {
    const width = document.documentElement.scrollWidth
    const over = width <= 375
      ? []
      : [...document.querySelectorAll('body *')]
          .filter(e => e.getBoundingClientRect().right > 376)
          .slice(-4)
          .map(e => `${e.tagName.toLowerCase()}${e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : ''}`)
    return { width, over }
  })
  check(wide.width <= 375, `${name} is ${wide.width} px wide on a 375 px screen (widest: ${wide.over.join(', ')})`)
  if (size) await page.setViewportSize(size)
}

// A council's service is not on GOV.UK: Arial only, no web font is fetched.
async function noFonts (page, name) {
  const fonts = await page.evaluate(() => performance.getEntriesByType('resource')
    .map(r => r.name)
    .filter(n => /\.(woff2?|ttf|otf)(\?|$)|\/fonts\//.test(n)))
  check(fonts.length === 0, `${name} downloads fonts: ${fonts.join(', ')}`)
}

// Every page links to the accessibility statement, privacy and cookies
// pages from its footer.
const FOOTER_LINKS = ['/accessibility Accessibility statement', '/privacy Privacy', '/cookies Cookies']
async function footerLinks (page, name) {
  const links = await page.evaluate(() => [...document.querySelectorAll('footer .govuk-footer__inline-list a')]
    .map(a => `${a.getAttribute('href')} ${a.textContent.trim()}`))
  check(FOOTER_LINKS.every(l => links.includes(l)), `${name}: the footer links are ${links.join(', ')}`)
}

// axe-core at a given window width (the page's own width kept after).
async function axeAt (page, name, width) {
  const size = page.viewportSize()
  await page.setViewportSize({ width, height: 900 })
  await axe(page, `${name} at ${width} px`)
  if (size) await page.setViewportSize(size)
}

async function visitPage (page, { js, name, screenshot }) {
  await phoneWidth(page, name)
  await noFonts(page, name)
  await footerLinks(page, name)
  if (js) await axe(page, name)
  if (screenshot) {
    await page.waitForLoadState('networkidle')
    await page.waitForTimeout(300)
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true })
  }
}

async function text (page) {
  return (await page.locator('main').innerText()).replace(/\s+/g, ' ')
}

async function expectText (page, wanted, where) {
  const t = await text(page)
  check(t.includes(wanted), `${where}: expected "${wanted}" in: ${t.slice(0, 400)}`)
}

// The household journey of BRIEF.md through the pages.
async function householdJourney (browser, { js, email }) {
  const context = await browser.newContext({ javaScriptEnabled: js, bypassCSP: js })
  const page = await context.newPage()
  const shot = !js
  const tag = js ? 'js' : 'no-js'

  await page.goto(base + '/')
  await visitPage(page, { js, name: 'start', screenshot: shot })
  await page.getByRole('button', { name: 'Start now' }).click()

  // Check what you could get, before any account: the postcode first, then
  // one question a page, each with its own error.
  await expectText(page, 'What is your postcode?', `checker postcode (${tag})`)
  await page.getByRole('button', { name: 'Continue' }).click()
  await expectText(page, 'There is a problem', `checker postcode error (${tag})`)
  await visitPage(page, { js, name: 'checker-postcode-error', screenshot: shot })
  await page.getByLabel('What is your postcode?').fill('OX28 4AB')
  await page.getByRole('button', { name: 'Continue' }).click()
  await expectText(page, 'How many people live in your household?', `checker people (${tag})`)
  await page.getByRole('button', { name: 'Continue' }).click()
  await expectText(page, 'Enter how many people live in your household', `checker people error (${tag})`)
  await visitPage(page, { js, name: 'checker-question-error', screenshot: shot })
  await page.getByLabel('How many people live in your household?').fill('3')
  await page.getByRole('button', { name: 'Continue' }).click()
  await page.getByLabel('£15,000 to £24,999').check()
  await visitPage(page, { js, name: 'checker-income', screenshot: shot })
  await page.getByRole('button', { name: 'Continue' }).click()
  await page.getByRole('group', { name: 'How many cars does your household own?' }).getByLabel('1', { exact: true }).check()
  await page.getByRole('button', { name: 'Continue' }).click()
  await page.getByRole('group', { name: 'Does anyone in your household hold a Blue Badge?' }).getByLabel('No').check()
  await page.getByRole('button', { name: 'Continue' }).click()
  await page.getByLabel('Universal Credit').check()
  await visitPage(page, { js, name: 'checker-benefits', screenshot: shot })
  await page.getByRole('button', { name: 'Continue' }).click()
  await expectText(page, 'How old are you? (optional)', `checker age (${tag})`)
  await page.getByRole('button', { name: 'Continue' }).click()
  await page.getByLabel('How many seats do you usually need?').fill('4')
  await page.getByRole('button', { name: 'Continue' }).click()
  await page.getByRole('group', { name: 'Does anyone travelling need a wheelchair-accessible vehicle?' }).getByLabel('No').check()
  await page.getByRole('button', { name: 'Continue' }).click()
  await page.getByRole('group', { name: 'Would you prefer an electric vehicle?' }).getByLabel('Yes').check()
  await page.getByRole('button', { name: 'Continue' }).click()

  // Check your answers; a change comes back to it.
  await expectText(page, 'Check your answers', `checker answers (${tag})`)
  await visitPage(page, { js, name: 'checker-check-answers', screenshot: shot })
  await page.getByRole('link', { name: 'Change cars owned' }).click()
  await page.getByRole('group', { name: 'How many cars does your household own?' }).getByLabel('None').check()
  await page.getByRole('button', { name: 'Continue' }).click()
  await expectText(page, 'Check your answers', `checker answers again (${tag})`)
  await page.getByRole('button', { name: 'See what you could get' }).click()

  // The result, with reasons; then an account to book, answers kept.
  await expectText(page, 'You can get this', `checker result (${tag})`)
  await expectText(page, "You told us your household's income is £15,000 to £24,999.", `checker reasons (${tag})`)
  await visitPage(page, { js, name: 'checker-result', screenshot: shot })
  await page.getByRole('button', { name: 'Create an account to book' }).click()
  await page.getByRole('button', { name: 'Create account' }).click()
  await expectText(page, 'There is a problem', `sign-up errors (${tag})`)
  await visitPage(page, { js, name: 'sign-up-errors', screenshot: shot })
  await page.getByLabel(council, { exact: true }).check()
  await page.getByLabel('Email address').fill(email)
  await page.getByLabel('Create a password').fill(password)
  await visitPage(page, { js, name: 'sign-up', screenshot: false })
  await page.getByRole('button', { name: 'Create account' }).click()
  await expectText(page, 'Your account is created and your answers are saved.', `answers kept (${tag})`)

  // About your household: the answers with Change links; one change saved.
  await page.getByRole('link', { name: 'Your household' }).first().click()
  await expectText(page, 'About your household', `profile (${tag})`)
  await visitPage(page, { js, name: 'profile', screenshot: shot })
  await page.getByRole('link', { name: 'Change seats needed' }).click()
  await visitPage(page, { js, name: 'profile-question', screenshot: shot })
  await page.getByLabel('How many seats do you usually need?').fill('4')
  await page.getByRole('button', { name: 'Save' }).click()
  await expectText(page, "Your household's details are saved.", `profile saved (${tag})`)
  await page.getByRole('link', { name: 'See what you can get' }).click()

  // What you can get.
  await expectText(page, 'You can get this', `schemes (${tag})`)
  await visitPage(page, { js, name: 'what-you-can-get', screenshot: shot })

  // Find a vehicle: Saturday-style hire in three days, 10am for 4 hours.
  await page.getByRole('link', { name: 'Find a vehicle' }).first().click()
  await page.getByLabel('Hire').check()
  await visitPage(page, { js, name: 'hire-or-lease', screenshot: false })
  await page.getByRole('button', { name: 'Continue' }).click()
  const day = new Date(Date.now() + 3 * 24 * 3600 * 1000)
  await page.getByLabel('Day').fill(String(day.getUTCDate()))
  await page.getByLabel('Month').fill(String(day.getUTCMonth() + 1))
  await page.getByLabel('Year').fill(String(day.getUTCFullYear()))
  await page.getByLabel('Start time').selectOption('10:00')
  await page.getByLabel('How many hours do you need it for?').fill('4')
  await visitPage(page, { js, name: 'find-a-vehicle', screenshot: shot })
  await page.getByRole('button', { name: 'Find vehicles' }).click()
  await expectText(page, 'You pay', `offers (${tag})`)
  await visitPage(page, { js, name: 'offers', screenshot: shot })

  // Book the best offer.
  await page.getByRole('button', { name: /^Book / }).first().click()
  await expectText(page, 'Check your booking', `check (${tag})`)
  await visitPage(page, { js, name: 'check-your-booking', screenshot: shot })
  await page.getByRole('button', { name: 'Confirm and book' }).click()
  await expectText(page, 'Booking confirmed', `confirmation (${tag})`)
  await visitPage(page, { js, name: 'booking-confirmed', screenshot: shot })

  // Your bookings, then cancel with the refund shown first.
  await page.getByRole('link', { name: 'See all your bookings' }).click()
  await visitPage(page, { js, name: 'your-bookings', screenshot: shot })
  await page.locator('table a').first().click()
  await page.getByRole('button', { name: 'Cancel this booking' }).click()
  await expectText(page, 'If you cancel now, you will not have to pay', `cancel (${tag})`)
  await visitPage(page, { js, name: 'cancel-booking', screenshot: shot })
  await page.getByRole('button', { name: 'Yes, cancel the booking' }).click()
  await expectText(page, 'Your booking is cancelled', `cancelled (${tag})`)
  await visitPage(page, { js, name: 'booking-cancelled', screenshot: false })

  // How we contact you: from the overview; a landline refused, a mobile saved.
  await page.goto(base + '/household')
  await page.getByRole('link', { name: 'Choose email, text message or letter' }).click()
  await expectText(page, 'Messages we sent you', `contact preferences (${tag})`)
  await visitPage(page, { js, name: 'contact-preferences', screenshot: shot })
  await page.getByLabel('Text message').check()
  if (js) {
    // GOV.UK Frontend reveals the phone number only once Text message is chosen.
    check(await page.locator('#phone').isVisible(), `contact preferences (${tag}): the phone number is not revealed`)
    check(!(await page.locator('#postcode').isVisible()), `contact preferences (${tag}): the address shows for a text message`)
  }
  await page.locator('#phone').fill('01993 861000')
  await page.getByRole('button', { name: 'Save' }).click()
  await expectText(page, 'There is a problem', `contact preferences error (${tag})`)
  await visitPage(page, { js, name: 'contact-preferences-errors', screenshot: shot })
  await page.locator('#phone').fill('07700 900982')
  await page.getByRole('button', { name: 'Save' }).click()
  await expectText(page, 'We will contact you by text message at 07700 900982', `contact preferences saved (${tag})`)
  await visitPage(page, { js, name: 'contact-preferences-saved', screenshot: false })

  // The demo mailbox, from the footer.
  await page.locator('footer').getByRole('link', { name: 'Demo mailbox' }).click()
  await expectText(page, 'no email, text message or letter is really sent', `mailbox (${tag})`)
  await visitPage(page, { js, name: 'mailbox', screenshot: shot })

  // Not found, and sign-out.
  await page.goto(base + '/bookings/00000000-0000-0000-0000-000000000000')
  await expectText(page, 'Page not found', `not found (${tag})`)
  await visitPage(page, { js, name: 'page-not-found', screenshot: false })
  await page.getByRole('link', { name: 'Sign out' }).click()
  await page.getByRole('button', { name: 'Sign out' }).click()
  await expectText(page, 'You have signed out', `signed out (${tag})`)
  await context.close()
}

// Sign in with the keyboard alone: the skip link first, then the fields.
async function keyboardSignIn (browser, { email, lands }) {
  const context = await browser.newContext({ bypassCSP: true })
  const page = await context.newPage()
  await page.goto(base + '/sign-in')
  await page.keyboard.press('Tab')
  const first = await page.evaluate(() => document.activeElement.textContent.trim())
  check(first === 'Skip to main content', `keyboard: the first Tab stop is "${first}"`)
  await page.keyboard.press('Enter')
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press('Tab')
    if (await page.evaluate(() => document.activeElement.id) === 'email') break
  }
  await page.keyboard.type(email)
  await page.keyboard.press('Tab')
  await page.keyboard.type(password)
  await page.keyboard.press('Enter')
  await page.waitForURL('**' + lands)
  check(new URL(page.url()).pathname === lands, `keyboard sign-in landed on ${page.url()}`)
  return { context, page }
}

// Every page of a provider and an officer, checked with axe.
async function otherRoles (browser) {
  {
    const { context, page } = await keyboardSignIn(browser, { email: process.env.PROVIDER_EMAIL, lands: '/provider' })
    await visitPage(page, { js: true, name: 'provider-councils', screenshot: true })
    await page.goto(base + '/provider/fleet')
    await visitPage(page, { js: true, name: 'provider-fleet', screenshot: true })
    await page.getByRole('link', { name: /^Change/ }).first().click()
    await visitPage(page, { js: true, name: 'provider-vehicle', screenshot: false })
    await page.goto(base + '/provider/fleet/new')
    await page.getByRole('button', { name: 'Add vehicle' }).click()
    await expectText(page, 'There is a problem', 'vehicle form errors')
    await visitPage(page, { js: true, name: 'provider-vehicle-errors', screenshot: true })
    await page.goto(base + '/provider/bookings')
    await visitPage(page, { js: true, name: 'provider-bookings', screenshot: true })
    await context.close()
  }
  {
    const { context, page } = await keyboardSignIn(browser, { email: process.env.OFFICER_EMAIL, lands: '/officer' })
    await visitPage(page, { js: true, name: 'officer-council', screenshot: true })
    await page.goto(base + '/officer/schemes')
    await visitPage(page, { js: true, name: 'officer-schemes', screenshot: true })
    await page.goto(base + '/officer/providers')
    await visitPage(page, { js: true, name: 'officer-providers', screenshot: true })
    await context.close()
  }
  {
    const context = await browser.newContext({ bypassCSP: true })
    const page = await context.newPage()
    for (const [path, name] of [['/sign-in', 'sign-in'], ['/provider/sign-up', 'provider-sign-up']]) {
      await page.goto(base + path)
      await visitPage(page, { js: true, name, screenshot: false })
    }
    await context.close()
  }
}

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync']
})
// The journeys run, by name: the accessibility statement lists them
// (tests/it/browser.rs checks that it lists exactly these).
const journeys = []
async function journey (name, run) {
  if (!journeys.includes(name)) journeys.push(name)
  await run()
}
try {
  await journey('household', () => householdJourney(browser, { js: false, email: `no-js-${Date.now()}@example.test` }))
  await journey('household', () => householdJourney(browser, { js: true, email: `js-${Date.now()}@example.test` }))
  await journey('household-keyboard', () => householdKeyboardJourney(browser, { base, password, visitPage, expectText, check }))
  await journey('other-roles', () => otherRoles(browser))
  await journey('officer', () => officerJourney(browser, { base, password, email: process.env.OFFICER_EMAIL, visitPage, expectText, check, keyboardSignIn }))
  await journey('provider', () => providerJourney(browser, { base, password, email: process.env.PROVIDER_EMAIL, visitPage, expectText, check, keyboardSignIn }))
  await journey('brief', () => briefJourney(browser, { base, password, visitPage, expectText, check }))
  await journey('card', () => cardJourney(browser, { base: process.env.CARD_BASE_URL, stripeJs: process.env.STRIPE_JS_URL, email: process.env.CARD_HOUSEHOLD_EMAIL, password, visitPage, expectText, check }))
  await journey('reports', () => reportsJourney(browser, { base, password, visitPage, expectText, check, keyboardSignIn }))
  await journey('assisted', () => assistedJourney(browser, { base, password, visitPage, expectText, check }))
  await journey('offers', () => offersJourney(browser, { base, email: process.env.OFFERS_EMAIL, password, visitPage, expectText, check }))
  await journey('account', () => accountJourney(browser, { base, email: process.env.ACCOUNT_EMAIL, password, newPassword: `${password} renewed`, visitPage, expectText, check }))
  await journey('statutory', () => statutoryJourney(browser, { base, council, visitPage, axeAt, expectText }))
} catch (e) {
  failures.push(`stopped: ${e.stack || e}`)
} finally {
  await browser.close()
}
console.log(`journeys: ${journeys.join(', ')}`)
console.log(`axe-core checked ${checked.size} pages: ${[...checked].join(', ')}`)
console.log(`screenshots in ${shots}`)
if (failures.length) {
  console.error(failures.join('\n'))
  process.exit(1)
}
console.log('browser tests: all passed')
