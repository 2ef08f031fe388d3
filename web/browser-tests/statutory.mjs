// The statutory pages in Chromium, reached from the footer of the start
// page: the accessibility statement, the privacy notices (the list, then a
// council's notice) and the cookies page. Each goes through axe-core on a
// 375 px phone screen and a 1280 px desktop one, with JavaScript on and
// zero violations allowed, and again with JavaScript off (width, fonts,
// footer). Called by run.mjs with its helpers.

export async function statutoryJourney (browser, { base, council, visitPage, axeAt, expectText }) {
  for (const js of [true, false]) {
    const context = await browser.newContext({ javaScriptEnabled: js, bypassCSP: js })
    const page = await context.newPage()
    const tag = js ? '' : '-no-js'
    const visit = async (name) => {
      await visitPage(page, { js, name: name + tag, screenshot: js })
      // visitPage ran axe-core at 1280 px; now on a phone screen.
      if (js) await axeAt(page, name, 375)
    }
    await page.goto(base + '/')
    const footer = page.locator('footer')
    await footer.getByRole('link', { name: 'Accessibility statement' }).click()
    await expectText(page, 'Accessibility statement for Roundabout', 'accessibility statement')
    await expectText(page, 'How accessible this website is', 'accessibility statement')
    await visit('accessibility-statement')
    await footer.getByRole('link', { name: 'Privacy' }).click()
    await expectText(page, 'Privacy notices', 'privacy notices')
    await visit('privacy-notices')
    await page.locator('main').getByRole('link', { name: council, exact: true }).click()
    await expectText(page, `${council} is the data controller`, 'privacy notice')
    await visit('privacy-notice')
    await footer.getByRole('link', { name: 'Cookies' }).click()
    await expectText(page, 'We set one cookie for everyone who visits.', 'cookies')
    await visit('cookies')
    await context.close()
  }
}
