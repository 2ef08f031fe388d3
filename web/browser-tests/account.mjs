// "Your account" by keyboard alone, with JavaScript off: a household signs
// in, opens "Your account" from the header, is refused a password change
// whose confirmation does not match, changes its password — which signs out
// its other browser at once — then signs out of all devices and signs in
// with the new password. axe-core checks each page (a copy as served, in a
// context with JavaScript) and the password page with GOV.UK Frontend's
// Show buttons working.

import { focused } from './household-keyboard.mjs'

export async function accountJourney (browser, { base, email, password, newPassword, visitPage, expectText, check }) {
  const tag = 'account, keyboard, no-js'
  const contexts = []
  const person = async () => {
    const context = await browser.newContext({ javaScriptEnabled: false })
    contexts.push(context)
    return context.newPage()
  }
  // axe-core needs JavaScript: the page as served, in a context that has it.
  const axeContext = await browser.newContext({ bypassCSP: true })
  contexts.push(axeContext)
  const axe = async (page, name, screenshot = false) => {
    const html = await page.content()
    const url = page.url()
    const copy = await axeContext.newPage()
    await copy.route(u => u.href === url, r => r.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }))
    await copy.goto(url)
    await visitPage(copy, { js: true, name, screenshot })
    await copy.close()
  }

  try {
    const page = await person()
    // Presses Tab until the focused element satisfies `want`; its focus must show.
    const tabTo = async (want, max = 60) => {
      for (let i = 0; i < max; i++) {
        await page.keyboard.press('Tab')
        const f = await focused(page)
        if (f && want(f)) {
          check(f.visible, `${tag}: focus on "${f.text || f.id}" is not shown on ${page.url()}`)
          return f
        }
      }
      throw new Error(`${tag}: nothing focusable matches ${want} on ${page.url()}`)
    }
    const activate = async want => {
      await tabTo(want)
      await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')])
    }
    const typeInto = async (id, value) => {
      await tabTo(f => f.id === id)
      await page.keyboard.press('Control+A')
      await page.keyboard.type(value)
    }
    const signIn = async secret => {
      await page.goto(base + '/sign-in')
      await typeInto('email', email)
      await typeInto('password', secret)
      await activate(f => f.text === 'Sign in' && f.type === 'submit')
    }

    // A second browser signed in as the same household.
    const other = await person()
    await other.goto(base + '/sign-in')
    await other.getByLabel('Email address').fill(email)
    await other.getByLabel('Password').fill(password)
    await other.getByRole('button', { name: 'Sign in' }).click()
    await expectText(other, 'Your household', `${tag}: the other browser signed in`)

    await signIn(password)
    await expectText(page, 'Your household', `${tag}: signed in`)

    // Your account, from the header.
    await activate(f => f.text === 'Your account')
    await expectText(page, 'Sign-in and security', `${tag}: account`)
    await expectText(page, email, `${tag}: account shows the email`)
    await axe(page, 'account', true)

    // Your data, and closing the account (asked, not done), from the account page.
    await activate(f => f.text === 'Your data')
    await expectText(page, 'This is everything Roundabout holds about you', `${tag}: your data`)
    await expectText(page, email, `${tag}: your data shows the email`)
    await axe(page, 'your-data', true)
    await activate(f => f.text === 'Close your account')
    await expectText(page, 'This cannot be undone.', `${tag}: close your account`)
    await axe(page, 'close-account', true)
    await activate(f => f.text === 'No, go back')
    await expectText(page, 'This is everything Roundabout holds about you', `${tag}: back to your data`)
    await page.goto(base + '/account')

    // Change the password: a confirmation that does not match first.
    await activate(f => f.text === 'Change your password')
    await expectText(page, 'Change your password', `${tag}: password form`)
    await axe(page, 'account-password')
    await typeInto('current-password', password)
    await typeInto('new-password', newPassword)
    await typeInto('confirm-password', newPassword + ' not the same')
    await activate(f => f.text === 'Change password')
    await expectText(page, 'There is a problem', `${tag}: refused`)
    await expectText(page, 'The passwords you entered do not match', `${tag}: refused at the confirmation`)
    check(await page.inputValue('#current-password') === '', `${tag}: a refused form gave a password back`)
    await axe(page, 'account-password-errors', true)
    await typeInto('current-password', password)
    await typeInto('new-password', newPassword)
    await typeInto('confirm-password', newPassword)
    await activate(f => f.text === 'Change password')
    await expectText(page, 'Your password has been changed. You have been signed out on all your other devices.', `${tag}: changed`)
    await axe(page, 'account-password-changed')

    // The other browser was signed out at once; this one was not.
    await other.goto(base + '/household')
    check(new URL(other.url()).pathname === '/sign-in', `${tag}: the other browser is still in: ${other.url()}`)
    await expectText(other, 'Your session has ended', `${tag}: the other browser is told`)

    // Sign out of all devices, after a confirmation.
    await activate(f => f.text === 'Sign out of all devices')
    await expectText(page, 'Sign out of all devices?', `${tag}: confirm`)
    await axe(page, 'account-sign-out-everywhere', true)
    await activate(f => f.text === 'Yes, sign out of all devices')
    await expectText(page, 'You have signed out of all devices.', `${tag}: signed out everywhere`)
    await page.goto(base + '/household')
    check(new URL(page.url()).pathname === '/sign-in', `${tag}: still signed in after signing out everywhere: ${page.url()}`)

    // The new password signs in; the header's Sign out ends this session.
    await signIn(newPassword)
    await expectText(page, 'Your household', `${tag}: signed in with the new password`)
    await activate(f => f.text === 'Sign out')
    await activate(f => f.text === 'Sign out' && f.type === 'submit')
    await expectText(page, 'You have signed out.', `${tag}: signed out`)
  } finally {
    for (const c of contexts) await c.close()
  }

  // With JavaScript: GOV.UK Frontend's Show button reveals the password.
  const context = await browser.newContext({ bypassCSP: true })
  try {
    const page = await context.newPage()
    await page.goto(base + '/sign-in')
    await page.getByLabel('Email address').fill(email)
    await page.getByLabel('Password').fill(newPassword)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.goto(base + '/account/password')
    const show = page.getByRole('button', { name: 'Show new password' })
    await page.getByLabel('New password', { exact: true }).fill('shown on request')
    await show.click()
    check(await page.getAttribute('#new-password', 'type') === 'text', `${tag}: Show did not reveal the new password`)
    await visitPage(page, { js: true, name: 'account-password-js', screenshot: false })
  } finally {
    await context.close()
  }
}
