// Stripe's card form for the web UI, kept out of the wasm because every binding costs it bytes.
//
// When the payment step renders `<div id="stripe-card" data-intent="…">`, the server's answer
// to create-payment-intent, this loads Stripe.js from its `stripeJsUrl` (the server's setting,
// once per page, only then) and mounts the card form in the div with its `publishableKey`; a
// failure is written in the div. The wasm then calls `parkwayStripe.confirm(clientSecret)`,
// which answers a Promise of `null` (it went through) or a sentence for the driver, and never
// rejects.
(() => {
  'use strict';
  const HOST = 'stripe-card';
  let loading = null; // Promise of window.Stripe while or once Stripe.js is loaded
  let form = null; // {host, stripe, elements, element, modern} of the mounted form
  const stripes = new Map(); // one Stripe object per publishable key

  function load(url) {
    if (window.Stripe) return Promise.resolve(window.Stripe);
    if (!loading) {
      loading = new Promise((resolve, reject) => {
        const script = document.createElement('script');
        script.src = url;
        script.async = true;
        script.onload = () => (window.Stripe ? resolve(window.Stripe) : reject(new Error('no Stripe')));
        script.onerror = () => {
          // Let the next attempt try again (a flaky network, a blocker turned off).
          loading = null;
          script.remove();
          reject(new Error('unreachable'));
        };
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  function sentence(error, fallback) {
    const message = error && typeof error.message === 'string' ? error.message.trim() : '';
    // Stripe's card and validation errors are written for the person paying; anything else
    // is a technical answer, shown inside a sentence of ours.
    if (error && (error.type === 'card_error' || error.type === 'validation_error') && message) return message;
    return message ? `${fallback} (${message})` : fallback;
  }

  function fail(host, text) {
    const p = document.createElement('p');
    p.className = 'stripe-error';
    p.setAttribute('role', 'alert');
    p.textContent = text;
    host.replaceChildren(p);
  }

  async function mount(host) {
    let intent = {};
    try {
      intent = JSON.parse(host.dataset.intent);
    } catch {
      // Told below like a missing key.
    }
    const { stripeJsUrl: url, publishableKey: key, amountCents: amount, currency, captureMethod: capture } = intent;
    if (!url || !key) {
      fail(host, 'This server has no Stripe publishable key, so cards cannot be taken here.');
      return;
    }
    if (form) form.element.destroy();
    form = null;
    let Stripe;
    try {
      Stripe = await load(url);
    } catch {
      fail(host, 'Stripe could not be reached, so the card form cannot be shown. Check your connection and try again.');
      return;
    }
    if (!host.isConnected) return; // the driver left the payment step meanwhile
    try {
      if (!stripes.has(key)) stripes.set(key, Stripe(key));
      const stripe = stripes.get(key);
      // Stripe.js v3 today has confirmPayment: the Payment Element, with the intent given only
      // at confirmation (after a decline the server may hand out a fresh intent). An older
      // Stripe.js, or the local Stripe emulator's mock, has only the card element and
      // confirmCardPayment.
      const modern = typeof stripe.confirmPayment === 'function';
      const elements = modern
        ? stripe.elements({
          mode: 'payment',
          amount,
          currency: currency.toLowerCase(),
          captureMethod: capture === 'manual' ? 'manual' : 'automatic',
          paymentMethodTypes: ['card'],
        })
        : stripe.elements();
      const element = elements.create(modern ? 'payment' : 'card');
      host.replaceChildren();
      element.mount(host);
      form = { host, stripe, elements, element, modern };
    } catch (e) {
      fail(host, sentence(e, 'The card form could not be shown. Reload the page and try again.'));
    }
  }

  async function confirm(clientSecret) {
    if (!form || !form.host.isConnected) {
      return 'The card form is not ready. Wait for it to appear, or press Try again.';
    }
    const { stripe, elements, element, modern } = form;
    const failed = 'The payment could not be completed. Try again.';
    try {
      let result;
      if (modern) {
        const submitted = await elements.submit();
        if (submitted.error) return sentence(submitted.error, failed);
        // A card payment needs no redirect; a method that does would come back to this page.
        result = await stripe.confirmPayment({
          elements,
          clientSecret,
          redirect: 'if_required',
          confirmParams: { return_url: location.href },
        });
      } else {
        result = await stripe.confirmCardPayment(clientSecret, { payment_method: { card: element } });
      }
      if (!result || result.error) return sentence(result && result.error, failed);
      return null;
    } catch (e) {
      return sentence(e, failed);
    }
  }

  // The payment step's place for the form, each time one appears (a new step, "Try again").
  // The page loads this script without waiting for it, so a step may already be showing.
  let seen = null;
  const look = () => {
    const host = document.getElementById(HOST);
    if (host && host !== seen) {
      seen = host;
      mount(host);
    }
  };
  new MutationObserver(look).observe(document.documentElement, { childList: true, subtree: true });
  look();

  window.parkwayStripe = { confirm };
})();
