use crate::api::{Area, SearchQuery};
use crate::components::driveway_card::DrivewayCard;
use crate::components::driveway_map::DrivewayMap;
use crate::components::empty_state::empty_state;
use crate::components::error_banner::error_banner;
use crate::components::place_search::{PlaceSearch, zoom_for};
use crate::components::search_filters::{SearchFiltersProps, search_filters};
use crate::forms::search::{max_price, min_rating, window};
use crate::hooks::use_app;
use crate::map::{Bounds, Camera};
use crate::platform;
use crate::state::{Action, Filters, ToastKind};
use chrono::Local;
use parkway_core::api::{Cluster, Place, SearchItem};
use std::rc::Rc;
use uuid::Uuid;
use yew::prelude::*;

/// How long the map must rest before searching.
const DEBOUNCE_MS: u32 = 300;
/// Most markers asked for at once.
const LIMIT: u32 = 200;

/// A circle covering the map's view at `camera` in a window of `width` × `height` CSS pixels.
fn initial_area(camera: Camera, (width, height): (f64, f64)) -> Area {
    // MapLibre's zoom counts 512-pixel tiles: at zoom 0 the equator's 40,075 km span 512 pixels,
    // and a parallel is shorter by the cosine of its latitude.
    let metres_per_pixel = 40_075_016.7 * cos(camera.lat.to_radians()) / (512.0 * 2f64.powf(camera.zoom));
    let radius_m = 0.5 * (width * width + height * height).sqrt() * metres_per_pixel;
    Area::Around { lat: camera.lat, lng: camera.lng, radius_m: radius_m.clamp(200.0, 50_000.0) }
}

/// Bhaskara's approximation of the cosine on [-π/2, π/2], within 0.2 %: `f64::cos` would bring
/// a few kilobytes of libm into the wasm for this one use.
fn cos(x: f64) -> f64 {
    let pi2 = std::f64::consts::PI * std::f64::consts::PI;
    (pi2 - 4.0 * x * x) / (pi2 + x * x)
}

/// `12,345`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

#[derive(Clone, PartialEq)]
enum Results {
    Searching,
    Ready,
    Failed(String),
    /// The map shows more than one search covers, with a filter the groups cannot apply.
    TooWide,
    /// The map shows more than one search covers: groups, standing for this many driveways.
    Grouped(u64),
}

/// The map search: filters, the list of results and the map, kept in sync.
#[component]
pub fn SearchPage() -> Html {
    let app = use_app();
    let camera = app.state.camera.unwrap_or(Camera::DEFAULT);
    // The first search starts at once, around where the map will open, while MapLibre loads;
    // the map's own bounds take over as soon as it reports them.
    let area = use_state(|| Some(initial_area(camera, platform::window_size())));
    let items = use_state(|| Rc::new(Vec::<SearchItem>::new()));
    let clusters = use_state(|| Rc::new(Vec::<Cluster>::new()));
    let results = use_state(|| Results::Searching);
    let selected = use_state(|| None::<Uuid>);
    let go_to = use_state(|| None::<(u32, Camera)>);
    let locating = use_state(|| false);
    let retry = use_state(|| 0u32);
    let generation = use_mut_ref(|| 0u32);
    let filters = app.state.filters.clone();

    use_effect_with((), |_| platform::set_title("Find parking"));

    let filter_error = match (window(&filters, &Local), max_price(&filters)) {
        (Err(e), _) | (_, Err(e)) => Some(e),
        _ => None,
    };

    // Search when the area or the filters change, once the map has rested. A view wider than
    // one search covers asks for its driveways grouped instead.
    let zoom = camera.zoom;
    {
        let (items, clusters, results, app) = (items.clone(), clusters.clone(), results.clone(), app.clone());
        let error = filter_error.clone();
        use_effect_with(((*area), filters.clone(), *retry, zoom.floor() as i32), move |(area, filters, _, _)| {
            let timer = area.filter(|_| error.is_none()).and_then(|area| {
                let query = SearchQuery {
                    area,
                    slot: window(filters, &Local).ok().flatten(),
                    max_price_per_hour: max_price(filters).ok().flatten(),
                    min_rating: min_rating(filters),
                    limit: LIMIT,
                };
                let grouped = area.too_wide();
                if grouped && query.min_rating.is_some() {
                    // The groups have no rating filter: a sentence instead of counts that
                    // would not match it.
                    *generation.borrow_mut() += 1;
                    items.set(Rc::new(Vec::new()));
                    clusters.set(Rc::new(Vec::new()));
                    results.set(Results::TooWide);
                    return None;
                }
                let first = *generation.borrow() == 0;
                let search = move || {
                    let current = {
                        let mut g = generation.borrow_mut();
                        *g += 1;
                        *g
                    };
                    results.set(Results::Searching);
                    let api = app.api();
                    crate::platform::spawn(async move {
                        let answer = if grouped {
                            api.clusters(&query, zoom).await.map(|page| (Vec::new(), page.items, Some(page.total)))
                        } else {
                            api.search(&query).await.map(|found| (found, Vec::new(), None))
                        };
                        if *generation.borrow() != current {
                            return;
                        }
                        match answer {
                            Ok((found, groups, total)) => {
                                items.set(Rc::new(found));
                                clusters.set(Rc::new(groups));
                                results.set(total.map_or(Results::Ready, Results::Grouped));
                            }
                            Err(e) => results.set(Results::Failed(e.to_string())),
                        }
                    });
                };
                // The very first search has nothing to wait for: it goes out at once, before
                // the map is built.
                if first {
                    search();
                    None
                } else {
                    Some(gloo_timers::callback::Timeout::new(DEBOUNCE_MS, search))
                }
            });
            move || drop(timer)
        });
    }

    let on_move = {
        let (area, app) = (area.clone(), app.clone());
        Callback::from(move |(b, c): (Bounds, Camera)| {
            area.set(Some(Area::Bounds { west: b.west, south: b.south, east: b.east, north: b.north }));
            app.dispatch(Action::Camera(c));
        })
    };
    let on_select_map = {
        let selected = selected.clone();
        Callback::from(move |id: Option<Uuid>| selected.set(id))
    };
    let on_filters = {
        let app = app.clone();
        Callback::from(move |f: Filters| app.dispatch(Action::Filters(f)))
    };
    // Moves the map to `camera`; without a map nothing reports the move, so the search goes
    // around the point itself.
    let fly = {
        let (go_to, area) = (go_to.clone(), area.clone());
        move |camera: Camera| {
            let n = go_to.as_ref().map(|(n, _)| n + 1).unwrap_or(1);
            go_to.set(Some((n, camera)));
            if !matches!(*area, Some(Area::Bounds { .. })) {
                area.set(Some(Area::Around { lat: camera.lat, lng: camera.lng, radius_m: 2000.0 }));
            }
        }
    };
    let on_place = {
        let fly = fly.clone();
        Callback::from(move |p: Place| fly(Camera { lat: p.lat, lng: p.lng, zoom: zoom_for(p.kind) }))
    };
    let on_near_me = {
        let (locating, app) = (locating.clone(), app.clone());
        Callback::from(move |()| {
            let (locating, app, fly) = (locating.clone(), app.clone(), fly.clone());
            locating.set(true);
            crate::platform::spawn(async move {
                match platform::current_position().await {
                    Ok((lat, lng)) => fly(Camera { lat, lng, zoom: 15.0 }),
                    Err(e) => app.toast(ToastKind::Error, "Location unavailable", e),
                }
                locating.set(false);
            });
        })
    };

    // The list follows the map by one step: Yew renders 200 new cards before any update in its
    // queue, so building them first would hold the markers back by a frame or more.
    let listed = use_state(|| (*items).clone());
    {
        let listed = listed.clone();
        use_effect_with((*items).clone(), move |items| listed.set(items.clone()));
    }

    let count = items.len();
    let status = match &*results {
        Results::Searching => "Searching…".to_owned(),
        Results::Failed(_) => "Search failed".to_owned(),
        Results::TooWide => "Zoom in to see driveways".to_owned(),
        Results::Grouped(0) => "No driveways in this part of the map".to_owned(),
        Results::Grouped(1) => "1 driveway in view: zoom in to choose it".to_owned(),
        Results::Grouped(n) => format!("{} driveways in view: zoom in to choose one", thousands(*n)),
        Results::Ready if count == 0 => "No driveways here".to_owned(),
        Results::Ready if count == 1 => "1 driveway in this area".to_owned(),
        Results::Ready => format!("{count} driveways in this area"),
    };
    let list = listed.iter().map(|item| {
        let id = item.driveway.id;
        let on_select = {
            let selected = selected.clone();
            Callback::from(move |()| selected.set(if *selected == Some(id) { None } else { Some(id) }))
        };
        html! { <DrivewayCard key={id.to_string()} item={item.clone()} selected={*selected == Some(id)} {on_select} /> }
    });
    let retry_search = {
        let retry = retry.clone();
        Callback::from(move |()| retry.set(*retry + 1))
    };
    html! {
        <div class="search-page">
            <div class="search-map">
                <PlaceSearch near={Some((camera.lat, camera.lng))} on_pick={on_place} />
                <DrivewayMap items={(*items).clone()} clusters={(*clusters).clone()} selected={*selected} on_select={on_select_map} {on_move}
                    {camera} go_to={*go_to} style_url={app.config.map_style_url.clone().map(AttrValue::from)} />
            </div>
            <section class="search-panel" aria-labelledby="results-heading">
                { search_filters(&SearchFiltersProps {
                    filters: filters.clone(),
                    on_change: on_filters,
                    error: filter_error.map(AttrValue::from),
                    on_near_me,
                    locating: *locating,
                }) }
                <div class="results-head">
                    <h1 id="results-heading" aria-live="polite">{ status }</h1>
                    if *results == Results::Searching {
                        <span class="spinner small" aria-hidden="true"></span>
                    }
                </div>
                if let Results::Failed(e) = &*results {
                    { error_banner(e.clone(), Some(retry_search)) }
                }
                if count == 0 && *results == Results::Ready {
                    { empty_state(if filters == Filters::default() { "No driveways in this part of the map." } else { "Nothing free for that time and price." }, html! {
                        <p>{ if filters == Filters::default() { "Zoom out or move the map to look further." } else { "Try another time, a higher price, or zoom out." } }</p>
                    }) }
                }
                <ul class="results" aria-label="Driveways">{ for list }</ul>
            </section>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        let shown: Vec<String> = [0, 999, 1000, 12_345, 1_234_567].into_iter().map(thousands).collect();
        assert_eq!(shown, ["0", "999", "1,000", "12,345", "1,234,567"]);
    }

    #[test]
    fn cosine_is_close_over_every_latitude() {
        for degrees in -90..=90 {
            let x = f64::from(degrees).to_radians();
            assert!((cos(x) - x.cos()).abs() < 0.002, "{degrees}°");
        }
    }

    #[test]
    fn the_first_search_covers_the_view_and_little_more() {
        // The desktop layout's map at zoom 13 over San Francisco shows about 6.5 km × 5.6 km
        // (measured in Chromium: 860 × 745 px); the circle reaches its corners from the centre.
        let Area::Around { radius_m, .. } = initial_area(Camera::DEFAULT, (1280.0, 800.0)) else { panic!("a circle") };
        let half_diagonal = 0.5 * (6_500f64.powi(2) + 5_600f64.powi(2)).sqrt();
        assert!(radius_m > half_diagonal && radius_m < 1.5 * half_diagonal, "{radius_m}");
        // Zooming in one step halves it; it never falls below 200 m.
        let Area::Around { radius_m: closer, .. } =
            initial_area(Camera { zoom: 14.0, ..Camera::DEFAULT }, (1280.0, 800.0))
        else {
            panic!("a circle")
        };
        assert!((closer * 2.0 - radius_m).abs() < 1.0);
        let Area::Around { radius_m: tiny, .. } = initial_area(Camera { zoom: 22.0, ..Camera::DEFAULT }, (10.0, 10.0))
        else {
            panic!("a circle")
        };
        assert_eq!(tiny, 200.0);
    }
}
