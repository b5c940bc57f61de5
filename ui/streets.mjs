// Writes the street map's style (`streets.json`) from the Protomaps basemap, for archives in
// the Protomaps schema (every Protomaps build, and `pmtiles extract` of one). Run by the UI
// build:
//   node streets.mjs <out-file>
// The page fills in the archive's and the glyphs' addresses at start (boot.js) when the server
// has an archive, so the style fetches nothing from a third party.
//
// Labels use the glyphs the UI build makes from DejaVu Sans (fonts/<stack>/<range>.pbf); the
// layers that need the basemap's sprite (points of interest, road shields, one-way arrows) are
// left out, and town dots become plain labels.
import { writeFileSync } from 'node:fs';
import { layers, namedFlavor } from '@protomaps/basemaps';

const out = process.argv[2];
if (!out) {
  console.error('usage: node streets.mjs <out-file>');
  process.exit(2);
}
/** The basemap's fonts, and the stacks the UI build writes for them. */
const FONTS = {
  'Noto Sans Regular': 'DejaVu Sans',
  'Noto Sans Medium': 'DejaVu Sans Bold',
  'Noto Sans Italic': 'DejaVu Sans Oblique',
  // DejaVu has no Devanagari: such names show in the scripts it has, or not at all.
  'Noto Sans Devanagari Regular v1': 'DejaVu Sans',
};
const SPRITE_LAYERS = new Set(['roads_oneway', 'roads_shields', 'pois']);

const drawn = layers('protomaps', namedFlavor('light'), { lang: 'en' })
  .filter((l) => !SPRITE_LAYERS.has(l.id))
  .map((l) => {
    if (l.layout?.['icon-image']) {
      const { 'icon-image': _, ...layout } = l.layout;
      return { ...l, layout };
    }
    return l;
  });
let text = JSON.stringify(drawn);
for (const [from, to] of Object.entries(FONTS)) text = text.replaceAll(`"${from}"`, `"${to}"`);
const unmapped = text.match(/"Noto Sans[^"]*"/);
if (unmapped) {
  console.error(`streets.mjs: the basemap uses a font without glyphs here: ${unmapped[0]}`);
  process.exit(1);
}
const style = {
  version: 8,
  name: 'Parkway streets',
  // Both replaced at start: `pmtiles://<the archive's URL>`, and the glyphs' absolute address.
  glyphs: 'fonts/{fontstack}/{range}.pbf',
  sources: {
    protomaps: {
      type: 'vector',
      url: 'pmtiles://',
      attribution: '<a href="https://protomaps.com">Protomaps</a> © <a href="https://openstreetmap.org/copyright">OpenStreetMap</a>',
    },
  },
  layers: JSON.parse(text),
};
writeFileSync(out, JSON.stringify(style));
console.log(`street style: ${style.layers.length} layers → ${out}`);
