// Card payment in Chromium on a front end with a Stripe publishable key:
// with JavaScript, "Check your booking" offers the card (Stripe Elements),
// a refused card is said at the card, a good one books; the page's own CSP
// is in force (no bypass) and lets Stripe.js in. Stripe.js is a stand-in
// served by the test at the configured address: it gives the PaymentMethod
// ids the test stack's card processor knows. Without JavaScript the same
// page says the household is invoiced. Called by run.mjs with its helpers.

const stripeStandIn = `
window.Stripe = function (key) {
  return {
    elements () {
      return {
        create () {
          let input
          const handlers = {}
          return {
            mount (selector) {
              input = document.createElement('input')
              input.id = 'stand-in-card'
              input.className = 'govuk-input'
              input.setAttribute('aria-labelledby', 'card-label')
              input.addEventListener('input', () => handlers.change && handlers.change({ error: null }))
              document.querySelector(selector).appendChild(input)
            },
            on (event, handler) { handlers[event] = handler },
            focus () { input.focus() }
          }
        }
      }
    },
    async createPaymentMethod () {
      const number = document.getElementById('stand-in-card').value.replace(/ /g, '')
      if (number === '4242424242424242') return { paymentMethod: { id: 'pm_card_visa' } }
      if (number === '4000000000000002') return { paymentMethod: { id: 'pm_card_chargeDeclined' } }
      return { error: { message: 'Your card number is incomplete.' } }
    }
  }
}`

async function checkPage (page, base) {
  const day = new Date(Date.now() + 3 * 24 * 3600 * 1000)
  await page.goto(`${base}/find-a-vehicle/hire?search=1&kind=HIRE&day=${day.getUTCDate()}&month=${day.getUTCMonth() + 1}` +
    `&year=${day.getUTCFullYear()}&time=10:00&hours=4&seats=4&radius=5`)
  await page.getByRole('button', { name: /^Book / }).first().click()
}

async function signIn (page, base, email, password) {
  await page.goto(base + '/sign-in')
  await page.getByLabel('Email address').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

export async function cardJourney (browser, { base, stripeJs, email, password, visitPage, expectText, check }) {
  {
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    await signIn(page, base, email, password)
    await checkPage(page, base)
    await expectText(page, 'How you pay We send you an invoice', 'card check page (no-js)')
    check(!(await page.getByText('By card now', { exact: true }).isVisible()), 'without JavaScript the card is not offered')
    await context.close()
  }
  // Refusals, with axe (which needs the policy bypassed to run).
  {
    const context = await browser.newContext({ bypassCSP: true })
    await context.route(stripeJs + '**', route => route.fulfill({ contentType: 'text/javascript', body: stripeStandIn }))
    const page = await context.newPage()
    await signIn(page, base, email, password)
    await checkPage(page, base)
    await page.getByLabel('By card now').waitFor()
    await expectText(page, 'By card now or by invoice: choose below', 'card check page (js)')
    check(await page.getByLabel('By card now').isChecked(), 'the card is chosen first')
    await visitPage(page, { js: true, name: 'check-your-booking-card', screenshot: false })
    await page.locator('#stand-in-card').fill('4242')
    await page.getByRole('button', { name: 'Confirm and book' }).click()
    await expectText(page, 'Your card number is incomplete.', 'a card Stripe.js refuses')
    await visitPage(page, { js: true, name: 'check-your-booking-card-refused', screenshot: true })
    await page.locator('#stand-in-card').fill('4000 0000 0000 0002')
    // GOV.UK Frontend's button ignores a second press within a second of the
    // first (data-prevent-double-click); a person retyping a card takes longer.
    await page.waitForTimeout(1100)
    await page.getByRole('button', { name: 'Confirm and book' }).click()
    await page.waitForURL(url => url.pathname === '/book' && url.search === '')
    await expectText(page, 'The card was declined', 'a declined card')
    await visitPage(page, { js: true, name: 'check-your-booking-card-declined', screenshot: false })
    await context.close()
  }
  // A good card, with the page's own policy in force.
  const context = await browser.newContext()
  let loaded = false
  await context.route(stripeJs + '**', route => {
    loaded = true
    return route.fulfill({ contentType: 'text/javascript', body: stripeStandIn })
  })
  const page = await context.newPage()
  const blocked = []
  page.on('console', m => { if (/Content Security Policy/.test(m.text())) blocked.push(m.text()) })
  await signIn(page, base, email, password)
  await checkPage(page, base)
  await page.getByLabel('By card now').waitFor()
  check(loaded, 'Stripe.js was loaded')
  await page.locator('#stand-in-card').fill('4242 4242 4242 4242')
  await page.getByRole('button', { name: 'Confirm and book' }).click()
  await page.waitForURL('**/confirmation')
  await expectText(page, 'Booking confirmed', 'booked by card')
  await expectText(page, 'by card', 'paid by card')
  check(blocked.length === 0, `the page's policy blocked: ${blocked.join('; ')}`)
  await context.close()
}
