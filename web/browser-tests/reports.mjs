// The council officer's reports in the browser: sign in by keyboard, open
// Reports, change the period (GOV.UK date inputs, an error first), open a
// chart's data table, download the CSV and check it; axe-core on each state
// and a screenshot of the page. Then the same period change with JavaScript
// off. Called by run.mjs with its helpers.

import { readFile } from 'node:fs/promises'

function ukToday () {
  // The page's days are UK days; en-CA formats as YYYY-MM-DD.
  const iso = new Date().toLocaleDateString('en-CA', { timeZone: 'Europe/London' })
  const [y, m, d] = iso.split('-').map(Number)
  return { y, m, d, iso }
}

async function fillDate (page, legend, { d, m, y }) {
  const group = page.getByRole('group', { name: legend, exact: true })
  await group.getByLabel('Day').fill(String(d))
  await group.getByLabel('Month').fill(String(m))
  await group.getByLabel('Year').fill(String(y))
}

export async function reportsJourney (browser, { base, password, visitPage, expectText, check, keyboardSignIn }) {
  const today = ukToday()
  const first = { d: 1, m: today.m, y: today.y }
  {
    const { context, page } = await keyboardSignIn(browser, { email: process.env.OFFICER_EMAIL, lands: '/officer' })
    await page.getByRole('link', { name: 'Reports', exact: true }).click()
    await expectText(page, 'Subsidy committed against budget', 'reports')
    await expectText(page, 'Households that booked', 'reports: the totals')
    await visitPage(page, { js: true, name: 'officer-reports', screenshot: true })

    // The money adds up: total price = council subsidy + what households
    // pay; cancelled bookings apart.
    const money = await page.locator('main .govuk-summary-list__row').evaluateAll(rows => Object.fromEntries(rows
      .map(r => [r.querySelector('dt')?.innerText.trim(), r.querySelector('dd')?.innerText.trim()])))
    const pence = s => Math.round(Number((s || '').replace(/[£,]/g, '')) * 100)
    check(money['Total price'] !== undefined && pence(money['Total price']) === pence(money['Council subsidy']) + pence(money['Households pay']),
      `reports: the money does not add up: ${money['Total price']} ≠ ${money['Council subsidy']} + ${money['Households pay']}`)
    check(/^(None|.+ bookings, £[\d,.]+ given back)/.test(money.Cancelled || ''), `reports: cancelled bookings apart: ${money.Cancelled}`)
    // Chart words are HTML, readable on a phone (no SVG text to shrink).
    await page.setViewportSize({ width: 375, height: 740 })
    const sizes = await page.locator('.app-bars__label, .app-bars__value, .app-line__y span, .app-line__x span')
      .evaluateAll(els => els.map(e => parseFloat(getComputedStyle(e).fontSize)))
    check(sizes.length > 0 && sizes.every(px => px >= 14), `reports: chart text at 375 px is ${Math.min(...sizes)} px`)
    check(await page.locator('main svg text').count() === 0, 'reports: no SVG text in the charts')
    await page.setViewportSize({ width: 1280, height: 800 })

    // A date that does not exist: the error at the field, what was typed kept.
    await fillDate(page, 'From', { d: 31, m: 2, y: today.y })
    await page.getByRole('button', { name: 'Show report' }).click()
    await expectText(page, 'There is a problem', 'reports: bad date')
    await expectText(page, 'The start date must be a real date', 'reports: bad date message')
    check(await page.getByRole('group', { name: 'From', exact: true }).getByLabel('Day').inputValue() === '31', 'reports: the typed day is kept')
    await visitPage(page, { js: true, name: 'officer-reports-errors', screenshot: true })

    // This month so far.
    await fillDate(page, 'From', first)
    await fillDate(page, 'To', today)
    await page.getByRole('button', { name: 'Show report' }).click()
    const month = new Date(Date.UTC(today.y, today.m - 1, 1)).toLocaleDateString('en-GB', { month: 'long', timeZone: 'UTC' })
    await expectText(page, today.d === 1 ? `1 ${month} ${today.y}` : `1 to ${today.d} ${month} ${today.y}`, 'reports: the chosen period')
    await page.getByText('Show the data as a table').first().click()
    check(await page.locator('#spend-table').isVisible(), 'reports: the spend table opens')
    await visitPage(page, { js: true, name: 'officer-reports-table', screenshot: false })

    // The CSV of that period, as the browser downloads it.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download this report as a CSV file' }).click()
    ])
    const pad = n => String(n).padStart(2, '0')
    const name = `roundabout-report-${today.y}-${pad(today.m)}-01-to-${today.iso}.csv`
    check(download.suggestedFilename() === name, `reports: the CSV is named ${download.suggestedFilename()}, not ${name}`)
    const csv = await readFile(await download.path(), 'utf8')
    const lines = csv.split('\r\n')
    check(lines[0] === 'Breakdown,Name,Bookings,Households,Subsidy (£),Spent to date (£)', `reports: CSV header ${lines[0]}`)
    check(lines.some(l => l.startsWith('Total,')), 'reports: CSV has the totals')
    check(lines.filter(l => l.startsWith('Day,')).length === today.d, `reports: CSV has ${today.d} days`)
    check(!/,[1-9],/.test(csv), 'reports: no count under 10 in the CSV')
    // The same address answers as an attachment.
    const res = await context.request.get(download.url())
    check(res.status() === 200, `reports: CSV status ${res.status()}`)
    check((res.headers()['content-disposition'] || '').startsWith('attachment;'), 'reports: CSV is an attachment')
    await context.close()
  }
  {
    // Without JavaScript: sign in by the form, change the period.
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    await page.goto(base + '/sign-in?next=/officer/reports')
    await page.getByLabel('Email address').fill(process.env.OFFICER_EMAIL)
    await page.getByLabel('Password').fill(password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expectText(page, 'Subsidy committed against budget', 'reports without JavaScript')
    await fillDate(page, 'From', first)
    await fillDate(page, 'To', today)
    await page.getByRole('button', { name: 'Show report' }).click()
    check(page.url().includes(`from-day=1&from-month=${today.m}`), `reports without JavaScript: ${page.url()}`)
    await page.getByText('Show the data as a table').first().click()
    check(await page.locator('#spend-table').isVisible(), 'reports without JavaScript: the table opens')
    await context.close()
  }
}
