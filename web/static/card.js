// Card payment with Stripe Elements, only where a page offers it (see
// web/src/pages/household/card.rs). Without this script, or if Stripe.js
// cannot load, the household's share is invoiced and nothing here shows.

function loadStripe (src) {
  return new Promise((resolve, reject) => {
    if (window.Stripe) return resolve(window.Stripe)
    const script = document.createElement('script')
    script.src = src
    script.onload = () => (window.Stripe ? resolve(window.Stripe) : reject(new Error('Stripe.js did not load')))
    script.onerror = () => reject(new Error('Stripe.js did not load'))
    document.head.appendChild(script)
  })
}

function showError (group, message) {
  const error = group.querySelector('.govuk-error-message')
  error.querySelector('.app-card-error-text').textContent = message
  error.hidden = !message
  group.classList.toggle('govuk-form-group--error', Boolean(message))
}

// "Check your booking": choose card or invoice; with card, the details go
// to Stripe, which gives a PaymentMethod id that the form then carries.
async function offerCard (box) {
  let stripe
  try {
    stripe = (await loadStripe(box.dataset.js))(box.dataset.key)
  } catch (e) {
    return
  }
  const form = box.closest('form')
  const group = box.querySelector('#card-group')
  const card = stripe.elements().create('card', { hidePostalCode: true })
  card.mount('#card-element')
  card.on('change', event => showError(group, event.error ? event.error.message : ''))
  box.hidden = false
  document.querySelectorAll('.app-pay-invoice').forEach(e => { e.hidden = true })
  document.querySelectorAll('.app-pay-card').forEach(e => { e.hidden = false })
  const cardChosen = () => form.querySelector('input[name="pay"]:checked')?.value === 'card'
  const showCard = () => { group.hidden = !cardChosen() }
  form.querySelectorAll('input[name="pay"]').forEach(r => r.addEventListener('change', showCard))
  showCard()
  form.addEventListener('submit', async event => {
    if (!cardChosen()) return
    event.preventDefault()
    const button = form.querySelector('button[type="submit"]')
    button.disabled = true
    const result = await stripe.createPaymentMethod({ type: 'card', card })
    if (result.error || !result.paymentMethod) {
      showError(group, result.error ? result.error.message : 'Your card details could not be read. Enter them again')
      button.disabled = false
      card.focus()
      return
    }
    form.querySelector('input[name="payment-method"]').value = result.paymentMethod.id
    form.submit()
  })
}

// The confirmation page of a card payment the bank must confirm (3-D Secure).
async function confirmWithBank (box) {
  let stripe
  try {
    stripe = (await loadStripe(box.dataset.js))(box.dataset.key)
  } catch (e) {
    return
  }
  box.hidden = false
  box.querySelector('button').addEventListener('click', async () => {
    const secret = box.dataset.secret
    const result = stripe.handleNextAction
      ? await stripe.handleNextAction({ clientSecret: secret })
      : await stripe.handleCardAction(secret)
    const message = box.querySelector('.govuk-error-message')
    if (result.error) {
      message.querySelector('.app-card-error-text').textContent = result.error.message
      message.hidden = false
      return
    }
    window.location.reload()
  })
}

const offer = document.querySelector('[data-module="app-card-payment"]')
if (offer) offerCard(offer)
const action = document.querySelector('[data-module="app-card-action"]')
if (action) confirmWithBank(action)
