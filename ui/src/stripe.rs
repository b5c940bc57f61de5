//! Stripe's card form, through `stripe-pay.js`, the small helper the page ships beside the
//! wasm (`window.parkwayStripe`). The helper does the Stripe work: when the payment step renders
//! the card form's place (with the publishable key and the Stripe.js URL in `data-`
//! attributes), it loads Stripe.js and mounts the form there. The wasm only asks it to confirm
//! and reads back a sentence when that failed: every binding costs the wasm bytes.

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// Resolves to `null` when the payment went through, else to a sentence; never rejects.
    #[wasm_bindgen(catch, js_namespace = parkwayStripe, js_name = confirm)]
    fn confirm_js(client_secret: &str) -> Result<js_sys::Promise, wasm_bindgen::JsValue>;
}

/// Confirms the intent with the card in the mounted form; a decline or any other failure comes
/// back as a sentence for the driver.
pub async fn confirm(client_secret: &str) -> Result<(), String> {
    #[cfg(target_arch = "wasm32")]
    {
        // A throw means the helper is missing from the page.
        let missing = || "The card form is missing from this page. Reload it and try again.".to_owned();
        let promise = confirm_js(client_secret).map_err(|_| missing())?;
        let answer = wasm_bindgen_futures::JsFuture::from(promise).await.map_err(|_| missing())?;
        answer.as_string().map_or(Ok(()), Err)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = client_secret;
        Err("Card payments need a browser.".into())
    }
}
