use crate::forms::driveway::{DAYS, DrivewayForm, WindowRow};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// What [`availability_editor`] shows and calls.
pub struct AvailabilityEditorProps {
    /// The windows; empty means always open.
    pub windows: Vec<WindowRow>,
    /// New windows.
    pub on_change: Callback<Vec<WindowRow>>,
}

/// The weekly opening hours: "always open", or a list of day + open + close rows with presets.
/// A plain function rather than a component: it has no state, and each component costs the
/// wasm its own copy of Yew's machinery.
pub fn availability_editor(props: &AvailabilityEditorProps) -> Html {
    let always = props.windows.is_empty();
    let set = |windows: Vec<WindowRow>| {
        let cb = props.on_change.clone();
        Callback::from(move |_: Event| cb.emit(windows.clone()))
    };
    let click = |windows: Vec<WindowRow>| {
        let cb = props.on_change.clone();
        Callback::from(move |_: MouseEvent| cb.emit(windows.clone()))
    };
    let every_day =
        (0..7).map(|day| WindowRow { day, open: "07:00".into(), close: "22:00".into() }).collect::<Vec<_>>();
    let mut added = props.windows.clone();
    added.push(added.last().cloned().map(|w| WindowRow { day: (w.day + 1) % 7, ..w }).unwrap_or(WindowRow {
        day: 0,
        open: "08:00".into(),
        close: "18:00".into(),
    }));
    let rows = props.windows.iter().enumerate().map(|(i, w)| {
        let edit = |apply: fn(&mut WindowRow, String)| {
            let (windows, cb) = (props.windows.clone(), props.on_change.clone());
            Callback::from(move |value: String| {
                let mut ws = windows.clone();
                if let Some(row) = ws.get_mut(i) {
                    apply(row, value);
                }
                cb.emit(ws);
            })
        };
        let on_day = edit(|r, v| r.day = v.parse().unwrap_or(r.day));
        let on_open = edit(|r, v| r.open = v);
        let on_close = edit(|r, v| r.close = v);
        let remove = {
            let (windows, cb) = (props.windows.clone(), props.on_change.clone());
            Callback::from(move |_| {
                let mut ws = windows.clone();
                ws.remove(i);
                cb.emit(ws);
            })
        };
        let (day_id, open_id, close_id) = (format!("w{i}-day"), format!("w{i}-open"), format!("w{i}-close"));
        html! {
            <div class="window-row" key={i}>
                <div>
                    <label for={day_id.clone()}>{ "Day" }</label>
                    <select id={day_id} onchange={Callback::from(move |e: Event| on_day.emit(e.target_unchecked_into::<HtmlSelectElement>().value()))}>
                        { for DAYS.iter().enumerate().map(|(d, name)| html! {
                            <option value={d.to_string()} selected={usize::from(w.day) == d}>{ *name }</option>
                        }) }
                    </select>
                </div>
                <div>
                    <label for={open_id.clone()}>{ "Opens" }</label>
                    <input id={open_id} type="time" value={w.open.clone()}
                        onchange={Callback::from(move |e: Event| on_open.emit(e.target_unchecked_into::<HtmlInputElement>().value()))} />
                </div>
                <div>
                    <label for={close_id.clone()}>{ "Closes" }</label>
                    <input id={close_id} type="text" inputmode="numeric" placeholder="18:00" pattern="[0-2][0-9]:[0-5][0-9]" value={w.close.clone()}
                        onchange={Callback::from(move |e: Event| on_close.emit(e.target_unchecked_into::<HtmlInputElement>().value()))} />
                </div>
                <button type="button" class="button small ghost" aria-label={format!("Remove the {} window", DAYS.get(usize::from(w.day)).copied().unwrap_or(""))} onclick={remove}>{ "✕" }</button>
            </div>
        }
    });
    html! {
        <fieldset class="availability">
            <legend>{ "Opening hours" }</legend>
            <label class="check">
                <input type="radio" name="hours" checked={always} onchange={set(Vec::new())} />
                { "Always open" }
            </label>
            <label class="check">
                <input type="radio" name="hours" checked={!always} onchange={set(DrivewayForm::weekdays_office_hours())} />
                { "Only at set times" }
            </label>
            if !always {
                <div class="windows">{ for rows }</div>
                <p class="hint">{ "Closing at 24:00 means midnight. Times are in the driveway's time zone." }</p>
                <div class="booking-actions">
                    <button type="button" class="button small secondary" onclick={click(added)}>{ "+ Add a window" }</button>
                    <button type="button" class="button small ghost" onclick={click(DrivewayForm::weekdays_office_hours())}>{ "Weekdays 08–18" }</button>
                    <button type="button" class="button small ghost" onclick={click(every_day)}>{ "Every day 07–22" }</button>
                </div>
            }
        </fieldset>
    }
}
