// Progressive enhancement only: every page works without this script.
import { initAll } from '/assets/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()

// Radios whose answer asks for more (`data-app-reveal`: the id of the
// fields it reveals): only the chosen answer's fields show. Like GOV.UK
// Frontend's conditional reveal, without `aria-expanded` on a radio, which
// ARIA does not allow there.
const reveals = [...document.querySelectorAll('input[type="radio"][data-app-reveal]')]
function showChosen () {
  for (const input of reveals) {
    const target = document.getElementById(input.dataset.appReveal)
    if (target) target.classList.toggle('govuk-radios__conditional--hidden', !input.checked)
  }
}
for (const name of new Set(reveals.map(i => i.name))) {
  for (const radio of document.querySelectorAll(`input[type="radio"][name="${CSS.escape(name)}"]`)) {
    radio.addEventListener('change', showChosen)
  }
}
showChosen()
