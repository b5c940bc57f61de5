//! Price tags drawn on a canvas when MapLibre asks for a missing image, so labels need no
//! glyph server and the map works offline.

use super::features::SELECTED_TAG_PREFIX;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

/// Drawn at twice the CSS size for sharp tags on high-density screens.
pub const PIXEL_RATIO: f64 = 2.0;

thread_local! {
    // One canvas for every tag, kept in memory for reading back: a new canvas and context per
    // tag cost about 3 ms each here, and a first screen asks for some 170 tags at once.
    static CANVAS: Option<(HtmlCanvasElement, CanvasRenderingContext2d)> = canvas();
}

fn canvas() -> Option<(HtmlCanvasElement, CanvasRenderingContext2d)> {
    let document = web_sys::window()?.document()?;
    let canvas: HtmlCanvasElement = document.create_element("canvas").ok()?.dyn_into().ok()?;
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"willReadFrequently".into(), &JsValue::TRUE);
    let ctx = canvas.get_context_with_context_options("2d", &options).ok()??.dyn_into().ok()?;
    Some((canvas, ctx))
}

/// Draws the tag for an image id such as `price:$4/h` (or the highlighted variant), or a
/// group's count (`count:12`).
pub fn draw(id: &str) -> Option<ImageData> {
    if let Some(count) = id.strip_prefix(super::features::COUNT_PREFIX) {
        return CANVAS.with(|c| {
            let (canvas, ctx) = c.as_ref()?;
            paint_count(canvas, ctx, count)
        });
    }
    let (selected, text) = match id.strip_prefix(SELECTED_TAG_PREFIX) {
        Some(t) => (true, t),
        None => (false, id.strip_prefix(super::features::TAG_PREFIX)?),
    };
    CANVAS.with(|c| {
        let (canvas, ctx) = c.as_ref()?;
        paint(canvas, ctx, selected, text)
    })
}

fn paint(canvas: &HtmlCanvasElement, ctx: &CanvasRenderingContext2d, selected: bool, text: &str) -> Option<ImageData> {
    let r = PIXEL_RATIO;
    // Whole pixels: an integer is written without the float formatter, which the wasm then leaves out.
    let font = format!("700 {}px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", (13.0 * r) as u32);
    ctx.set_font(&font);
    let text_width = ctx.measure_text(text).ok()?.width();
    let (pad, height, arrow) = (8.0 * r, 22.0 * r, 5.0 * r);
    let width = (text_width + 2.0 * pad).ceil();
    let total_height = height + arrow + 2.0 * r;
    let (out_w, out_h) = (width as u32 + 2, total_height as u32);
    // The canvas only grows; each tag is drawn in its top-left corner after clearing it.
    if canvas.width() < out_w || canvas.height() < out_h {
        canvas.set_width(canvas.width().max(out_w));
        canvas.set_height(canvas.height().max(out_h));
        // Resizing the canvas resets its state.
        ctx.set_font(&font);
    }
    ctx.clear_rect(0.0, 0.0, f64::from(out_w), f64::from(out_h));
    let (fill, stroke, ink) =
        if selected { ("#f59e0b", "#b45309", "#1c1917") } else { ("#ffffff", "#0f766e", "#134e4a") };
    let (x, y, w, h, radius) = (1.0, 1.0, width, height, height / 2.0);
    ctx.begin_path();
    ctx.move_to(x + radius, y);
    ctx.line_to(x + w - radius, y);
    let _ = ctx.arc_to(x + w, y, x + w, y + radius, radius);
    let _ = ctx.arc_to(x + w, y + h, x + w - radius, y + h, radius);
    ctx.line_to(x + w / 2.0 + arrow, y + h);
    ctx.line_to(x + w / 2.0, y + h + arrow);
    ctx.line_to(x + w / 2.0 - arrow, y + h);
    ctx.line_to(x + radius, y + h);
    let _ = ctx.arc_to(x, y + h, x, y + radius, radius);
    let _ = ctx.arc_to(x, y, x + radius, y, radius);
    ctx.close_path();
    ctx.set_fill_style_str(fill);
    ctx.fill();
    ctx.set_line_width(1.5 * r);
    ctx.set_stroke_style_str(stroke);
    ctx.stroke();
    ctx.set_fill_style_str(ink);
    ctx.set_text_align("center");
    ctx.set_text_baseline("middle");
    let _ = ctx.fill_text(text, x + w / 2.0, y + h / 2.0 + r);
    ctx.get_image_data(0.0, 0.0, f64::from(out_w), f64::from(out_h)).ok()
}

/// A group's count in white, to sit on its circle.
fn paint_count(canvas: &HtmlCanvasElement, ctx: &CanvasRenderingContext2d, text: &str) -> Option<ImageData> {
    let r = PIXEL_RATIO;
    let font = format!("700 {}px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", (12.0 * r) as u32);
    ctx.set_font(&font);
    let (out_w, out_h) = ((ctx.measure_text(text).ok()?.width() + 4.0 * r).ceil() as u32, (16.0 * r) as u32);
    if canvas.width() < out_w || canvas.height() < out_h {
        canvas.set_width(canvas.width().max(out_w));
        canvas.set_height(canvas.height().max(out_h));
        ctx.set_font(&font);
    }
    ctx.clear_rect(0.0, 0.0, f64::from(out_w), f64::from(out_h));
    ctx.set_fill_style_str("#ffffff");
    ctx.set_text_align("center");
    ctx.set_text_baseline("middle");
    let _ = ctx.fill_text(text, f64::from(out_w) / 2.0, f64::from(out_h) / 2.0 + r);
    ctx.get_image_data(0.0, 0.0, f64::from(out_w), f64::from(out_h)).ok()
}

/// Options for `addImage`.
pub fn image_options() -> JsValue {
    let o = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&o, &"pixelRatio".into(), &PIXEL_RATIO.into());
    o.into()
}
