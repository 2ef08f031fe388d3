// The household journey by keyboard alone, with JavaScript off: from the
// start page through the checker's questions, check your answers, the
// result and sign-up with the answers kept, what you can get, finding and
// booking a vehicle, to cancelling the booking. Focus moves only by Tab,
// Shift+Tab and the arrow keys; Space and Enter act; fields are typed into.

// What has focus: its id, type, name, whether it is checked, its value, the
// text a user reads for it (its label for a form field), whether it is in a
// table, and whether its focus is shown.
export async function focused (page) {
  return page.evaluate(() => {
    const el = document.activeElement
    if (!el || el === document.body) return null
    const label = el.labels && el.labels.length ? el.labels[0].textContent : el.textContent
    return {
      id: el.id,
      type: el.type || '',
      name: el.getAttribute('name') || '',
      checked: !!el.checked,
      value: el.value,
      text: (label || '').replace(/\s+/g, ' ').trim(),
      inTable: !!el.closest('table'),
      visible: el.matches(':focus-visible')
    }
  })
}

export async function householdKeyboardJourney (browser, { base, password, expectText, check }) {
  const council = process.env.COUNCIL_NAME
  const email = `keyboard-${Date.now()}@example.test`
  const context = await browser.newContext({ javaScriptEnabled: false })
  const page = await context.newPage()
  const tag = 'household, keyboard, no-js'

  // Presses Tab until the focused element satisfies `want`, at most `max` times.
  async function tabTo (want, max = 80) {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press('Tab')
      const f = await focused(page)
      if (f && want(f)) {
        check(f.visible, `${tag}: focus on "${f.text || f.id}" is not shown on ${page.url()}`)
        return f
      }
    }
    throw new Error(`${tag}: no focusable ${want} on ${page.url()}`)
  }
  const byId = id => f => f.id === id
  const byText = text => f => f.text.startsWith(text)

  // Follows a link or presses a button by Enter, waiting for the next page.
  async function activate (want) {
    await tabTo(want)
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')])
  }

  // Types `value` into the field `id`.
  async function typeInto (id, value) {
    await tabTo(byId(id))
    await page.keyboard.press('Control+A')
    await page.keyboard.type(value)
  }

  // Tabs into the radio group `name`, then chooses `label` with the arrow keys
  // (or Space when focus lands on it).
  async function chooseRadio (name, label) {
    let f = await tabTo(g => g.type === 'radio' && g.name === name)
    if (f.text === label) {
      await page.keyboard.press('Space')
    } else {
      for (let i = 0; i < 20 && f.text !== label; i++) {
        await page.keyboard.press('ArrowDown')
        f = await focused(page)
      }
    }
    f = await focused(page)
    check(f && f.text === label && f.checked, `${tag}: radio "${label}" of ${name} not chosen: ${JSON.stringify(f)}`)
  }

  // Tabs to the checkbox `label` and ticks it with Space.
  async function tick (label) {
    await tabTo(f => f.type === 'checkbox' && f.text === label)
    await page.keyboard.press('Space')
    const f = await focused(page)
    check(f && f.checked, `${tag}: checkbox "${label}" not ticked`)
  }

  // Tabs to the select `id` and moves down its options until `value`.
  async function choose (id, value) {
    let f = await tabTo(byId(id))
    for (let i = 0; i < 60 && f.value !== value; i++) {
      await page.keyboard.press('ArrowDown')
      f = await focused(page)
    }
    check(f.value === value, `${tag}: select ${id} is "${f.value}", not "${value}"`)
  }

  await page.goto(base + '/')
  await expectText(page, 'Start now', `start (${tag})`)
  await activate(byText('Start now'))

  // Check what you could get: one question a page, then check your answers.
  await expectText(page, 'What is your postcode?', `checker postcode (${tag})`)
  await typeInto('postcode', 'OX28 4AB')
  await activate(f => f.text === 'Continue')
  await typeInto('members', '3')
  await activate(f => f.text === 'Continue')
  await chooseRadio('income', '£15,000 to £24,999')
  await activate(f => f.text === 'Continue')
  await chooseRadio('cars', 'None')
  await activate(f => f.text === 'Continue')
  await chooseRadio('blue-badge', 'No')
  await activate(f => f.text === 'Continue')
  await tick('Universal Credit')
  await activate(f => f.text === 'Continue')
  await expectText(page, 'How old are you? (optional)', `checker age (${tag})`)
  await activate(f => f.text === 'Continue')
  await typeInto('seats', '4')
  await activate(f => f.text === 'Continue')
  await chooseRadio('wheelchair', 'No')
  await activate(f => f.text === 'Continue')
  await chooseRadio('electric', 'Yes')
  await activate(f => f.text === 'Continue')
  await expectText(page, 'Check your answers', `checker answers (${tag})`)
  await activate(byText('Change people in the household'))
  await typeInto('members', '2')
  await activate(f => f.text === 'Continue')
  await expectText(page, 'Check your answers', `checker answers again (${tag})`)
  await activate(f => f.text === 'See what you could get')
  await expectText(page, 'You can get this', `checker result (${tag})`)
  await activate(f => f.text === 'Create an account to book')

  // Sign up: the council is chosen already, the answers are kept.
  await expectText(page, 'Create a household account', `sign-up (${tag})`)
  await typeInto('email', email)
  await typeInto('password', password)
  await activate(byText('Create account'))

  // What you can get.
  await expectText(page, 'You can get this', `schemes (${tag})`)
  await activate(f => f.text === 'Find a vehicle')

  // Find a vehicle: a hire in three days, 10am for 4 hours.
  await expectText(page, 'Do you want to hire or lease a vehicle?', `hire or lease (${tag})`)
  await chooseRadio('kind', 'Hire')
  await activate(f => f.text === 'Continue')
  await expectText(page, 'Hire a vehicle', `hire (${tag})`)
  const day = new Date(Date.now() + 3 * 24 * 3600 * 1000)
  await typeInto('day', String(day.getUTCDate()))
  await typeInto('month', String(day.getUTCMonth() + 1))
  await typeInto('year', String(day.getUTCFullYear()))
  await choose('time', '10:00')
  await typeInto('hours', '4')
  await activate(f => f.text === 'Find vehicles')
  await expectText(page, 'You pay', `offers (${tag})`)

  // Book the first offer.
  await activate(byText('Book '))
  await expectText(page, 'Check your booking', `check (${tag})`)
  await activate(f => f.text === 'Confirm and book')
  await expectText(page, 'Booking confirmed', `confirmation (${tag})`)

  // Your bookings, the booking, and cancel it.
  await activate(f => f.text === 'See all your bookings')
  await expectText(page, 'Your bookings', `your bookings (${tag})`)
  await activate(f => f.inTable)
  await expectText(page, 'Cancel this booking', `booking (${tag})`)
  await activate(f => f.text === 'Cancel this booking')
  await expectText(page, 'If you cancel now, you will not have to pay', `cancel (${tag})`)
  await activate(f => f.text === 'Yes, cancel the booking')
  await expectText(page, 'Your booking is cancelled', `cancelled (${tag})`)
  await context.close()
}
