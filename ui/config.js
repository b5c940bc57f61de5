// Set by `cargo xtask ui` (PARKWAY_MAP_STYLE_URL); an empty style URL uses the built-in
// offline style. localStorage "parkway.mapStyleUrl" overrides it for one browser.
window.parkwayConfig = { apiBase: "", mapStyleUrl: "__PARKWAY_MAP_STYLE_URL__" };
