// A tiny street map for the tests: a PMTiles version 3 archive holding one vector tile (zoom 0,
// the whole world) in the Protomaps schema, written from scratch here: the PMTiles header and
// directory (https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md) and the Mapbox
// Vector Tile protobuf (https://github.com/mapbox/vector-tile-spec/tree/master/2.1). MapLibre
// draws a zoom-0 tile at every zoom, so its shapes show wherever the map looks.

const EXTENT = 4096;

/** Protobuf varint. */
function varint(n, out) {
  let v = BigInt(n);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

const zigzag = (n) => (n << 1) ^ (n >> 31);

/** A length-delimited field. */
function field(tag, bytes, out) {
  varint((tag << 3) | 2, out);
  varint(bytes.length, out);
  out.push(...bytes);
  return out;
}

function packed(tag, numbers, out) {
  const body = [];
  for (const n of numbers) varint(n, body);
  return field(tag, body, out);
}

/** Geometry commands for a line or a ring of [x, y] tile coordinates. */
function commands(points, closed) {
  const out = [];
  let [cx, cy] = [0, 0];
  points.forEach(([x, y], i) => {
    if (i === 0) out.push((1 & 7) | (1 << 3));
    if (i === 1) out.push((2 & 7) | ((points.length - 1) << 3));
    out.push(zigzag(x - cx), zigzag(y - cy));
    [cx, cy] = [x, y];
  });
  if (closed) out.push((7 & 7) | (1 << 3));
  return out;
}

/** One layer: `features` are {type: 2 (line) | 3 (polygon), points, props: {key: string}}. */
function layer(name, features) {
  const out = [];
  varint((15 << 3) | 0, out);
  varint(2, out);
  field(1, [...Buffer.from(name)], out);
  const keys = [...new Set(features.flatMap((f) => Object.keys(f.props ?? {})))];
  const values = [...new Set(features.flatMap((f) => Object.values(f.props ?? {})))];
  features.forEach((f, i) => {
    const body = [];
    varint((1 << 3) | 0, body);
    varint(i + 1, body);
    const tags = Object.entries(f.props ?? {}).flatMap(([k, v]) => [keys.indexOf(k), values.indexOf(v)]);
    if (tags.length) packed(2, tags, body);
    varint((3 << 3) | 0, body);
    varint(f.type, body);
    packed(4, commands(f.points, f.type === 3), body);
    field(2, body, out);
  });
  for (const k of keys) field(3, [...Buffer.from(k)], out);
  for (const v of values) field(4, field(1, [...Buffer.from(v)], []), out);
  varint((5 << 3) | 0, out);
  varint(EXTENT, out);
  return out;
}

/** Tile coordinates of a position at zoom 0. */
export function tilePoint(lat, lng) {
  const x = ((lng + 180) / 360) * EXTENT;
  const s = Math.sin((lat * Math.PI) / 180);
  const y = (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * EXTENT;
  return [Math.round(x), Math.round(y)];
}

/** The archive's bytes: land everywhere, and a few named major roads crossing at (lat, lng). */
export function streetArchive(lat, lng) {
  const [x, y] = tilePoint(lat, lng);
  const roads = [];
  for (let d = -2; d <= 2; d++) {
    roads.push({ type: 2, props: { kind: 'major_road', name: 'Market Street' }, points: [[x - 40, y + d], [x + 40, y + d]] });
    roads.push({ type: 2, props: { kind: 'major_road', name: 'Mission Street' }, points: [[x + d, y - 40], [x + d, y + 40]] });
  }
  const land = [{ type: 3, points: [[0, 0], [EXTENT, 0], [EXTENT, EXTENT], [0, EXTENT]] }];
  const tile = [];
  field(3, layer('earth', land), tile);
  field(3, layer('roads', roads), tile);

  const directory = [];
  varint(1, directory); // entries
  varint(0, directory); // tile id 0 (zoom 0), as a delta
  varint(1, directory); // run length
  varint(tile.length, directory);
  varint(1, directory); // offset 0 in the tile data, written + 1
  const metadata = [...Buffer.from(JSON.stringify({
    vector_layers: [{ id: 'earth', fields: {} }, { id: 'roads', fields: { kind: 'String', name: 'String' } }],
  }))];

  const header = Buffer.alloc(127);
  header.write('PMTiles', 0, 'ascii');
  header.writeUInt8(3, 7);
  let at = 127;
  const section = (offset, bytes) => {
    header.writeBigUInt64LE(BigInt(at), offset);
    header.writeBigUInt64LE(BigInt(bytes.length), offset + 8);
    at += bytes.length;
  };
  section(8, directory);
  section(24, metadata);
  header.writeBigUInt64LE(BigInt(at), 40); // no leaf directories
  header.writeBigUInt64LE(0n, 48);
  section(56, tile);
  header.writeBigUInt64LE(1n, 72); // addressed tiles
  header.writeBigUInt64LE(1n, 80); // tile entries
  header.writeBigUInt64LE(1n, 88); // tile contents
  header.writeUInt8(1, 96); // clustered
  header.writeUInt8(1, 97); // directories not compressed
  header.writeUInt8(1, 98); // tiles not compressed
  header.writeUInt8(1, 99); // vector tiles
  header.writeUInt8(0, 100); // min zoom
  header.writeUInt8(0, 101); // max zoom
  header.writeInt32LE(-1800000000, 102);
  header.writeInt32LE(-850000000, 106);
  header.writeInt32LE(1800000000, 110);
  header.writeInt32LE(850000000, 114);
  header.writeUInt8(0, 118);
  header.writeInt32LE(Math.round(lng * 1e7), 119);
  header.writeInt32LE(Math.round(lat * 1e7), 123);
  return Buffer.concat([header, Buffer.from(directory), Buffer.from(metadata), Buffer.from(tile)]);
}
