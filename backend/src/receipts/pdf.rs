//! The receipt as a PDF on A4 paper.
//!
//! The font (DejaVu Sans, in `assets/fonts/` with its licence) is built into the server and
//! embedded in every PDF, only the glyphs a receipt uses, so it reads the same on any machine
//! whatever fonts that has. Nothing in the file depends on when or where it is rendered: its
//! creation date is the receipt's time of issue and its identifiers are hashes of its content,
//! so the same receipt is the same bytes on every request.
//!
//! Laying out and drawing are apart: [`layout`] places every piece of text and every rule on
//! its page (measuring text with the same shaper that draws it, to align amounts right and
//! wrap long values), then [`render`] writes those pages.

use super::{Receipt, Row, Sheet};
use chrono::{Datelike, Timelike};
use krilla::Document;
use krilla::color::luma;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::tagging::{
    Artifact, ArtifactType, ContentTag, Identifier, SpanTag, TableHeaderScope, Tag, TagGroup, TagKind, TagTree,
};
use krilla::text::{Font, TextDirection};
use std::num::NonZeroU16;
use std::sync::LazyLock;

const REGULAR_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const BOLD_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// A4 in points.
const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
/// About 20 mm on every side.
const MARGIN: f32 = 56.0;
const RIGHT: f32 = PAGE_WIDTH - MARGIN;
const BOTTOM: f32 = PAGE_HEIGHT - MARGIN;
/// Where the values of the booking's details start.
const VALUE_X: f32 = MARGIN + 130.0;

/// A face of the font: its PDF side (to draw) and its shaping side (to measure).
struct Face {
    font: Font,
    shaper: rustybuzz::Face<'static>,
}

impl Face {
    fn load(data: &'static [u8]) -> Face {
        // The font files are part of the build: they parse, or no test would pass.
        Face {
            font: Font::new(data.into(), 0).expect("the embedded font parses"),
            shaper: rustybuzz::Face::from_slice(data, 0).expect("the embedded font parses"),
        }
    }

    /// The width of `text` at `size` points, as drawn.
    fn width(&self, text: &str, size: f32) -> f32 {
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        let shaped = rustybuzz::shape(&self.shaper, &[], buffer);
        let units: i64 = shaped.glyph_positions().iter().map(|p| i64::from(p.x_advance)).sum();
        units as f32 * size / self.shaper.units_per_em() as f32
    }

    /// `text` broken into lines no wider than `width`: at spaces where it can, inside a word
    /// too long for a line of its own where it must. Line breaks in the text are kept.
    fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.lines() {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
                if self.width(&candidate, size) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                // A word wider than the line (a long id, an address without spaces) is cut.
                for c in word.chars() {
                    line.push(c);
                    if self.width(&line, size) > width && line.chars().count() > 1 {
                        line.pop();
                        lines.push(std::mem::replace(&mut line, c.to_string()));
                    }
                }
            }
            lines.push(line);
        }
        if lines.is_empty() {
            lines.push(String::new());
        }
        lines
    }
}

struct Fonts {
    regular: Face,
    bold: Face,
}

static FONTS: LazyLock<Fonts> =
    LazyLock::new(|| Fonts { regular: Face::load(REGULAR_TTF), bold: Face::load(BOLD_TTF) });

/// How dark a mark is: text and rules in black, labels and separators in grey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ink {
    Black,
    Grey,
    Light,
}

impl Ink {
    fn fill(self) -> Fill {
        let lightness = match self {
            Ink::Black => 0x11,
            Ink::Grey => 0x4b,
            Ink::Light => 0xd1,
        };
        Fill { paint: luma::Color::new(lightness).into(), opacity: NormalizedF32::ONE, rule: Default::default() }
    }
}

/// Something drawn on a page; `y` grows downwards from the page's top.
#[derive(Debug, Clone, PartialEq)]
enum Mark {
    /// A line of text whose baseline starts at (x, y); `id` names it in the [`Node`] tree.
    Text { id: usize, x: f32, y: f32, text: String, size: f32, bold: bool, ink: Ink },
    /// A horizontal rule: decoration, outside the document's structure.
    Rule { x: f32, y: f32, width: f32, thickness: f32, ink: Ink },
}

/// What a group of text is, for readers that follow the document's structure rather than its
/// drawing (screen readers, reflowing viewers): the roles of a tagged PDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Heading,
    Paragraph,
    Table,
    Caption,
    Head,
    Body,
    Foot,
    Row,
    /// A header cell for its row (the label of a detail or a money line).
    RowHeader,
    /// A header cell for its column.
    ColumnHeader,
    Cell,
}

/// The document's structure, in reading order: groups of groups, down to lines of text.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Group(Role, Vec<Node>),
    Text(usize),
}

/// The pages to draw and the structure that reads them.
#[derive(Debug)]
struct Laid {
    pages: Vec<Vec<Mark>>,
    structure: Vec<Node>,
    texts: usize,
}

/// Pages of marks, and where the next one goes.
struct Layout {
    pages: Vec<Vec<Mark>>,
    y: f32,
    texts: usize,
}

impl Layout {
    fn new() -> Layout {
        Layout { pages: vec![Vec::new()], y: MARGIN, texts: 0 }
    }

    /// Starts a new page unless `height` more fits on this one.
    fn room_for(&mut self, height: f32) {
        if self.y + height > BOTTOM {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }

    fn mark(&mut self, mark: Mark) {
        if let Some(page) = self.pages.last_mut() {
            page.push(mark);
        }
    }

    /// A line of text; its node in the structure.
    fn text(&mut self, x: f32, baseline: f32, text: &str, size: f32, bold: bool, ink: Ink) -> Node {
        let id = self.texts;
        self.texts += 1;
        self.mark(Mark::Text { id, x, y: baseline, text: text.to_owned(), size, bold, ink });
        Node::Text(id)
    }

    /// A line of text ending at `right`.
    fn text_right(&mut self, right: f32, baseline: f32, text: &str, size: f32, bold: bool, ink: Ink) -> Node {
        let face = if bold { &FONTS.bold } else { &FONTS.regular };
        self.text(right - face.width(text, size), baseline, text, size, bold, ink)
    }

    fn rule(&mut self, y: f32, thickness: f32, ink: Ink) {
        self.mark(Mark::Rule { x: MARGIN, y, width: RIGHT - MARGIN, thickness, ink });
    }

    /// A table's caption, kept on the page of the table's first row.
    fn caption(&mut self, text: &str) -> Node {
        self.room_for(48.0);
        self.y += 14.0;
        let caption = self.text(MARGIN, self.y, text, 12.0, true, Ink::Black);
        self.y += 8.0;
        Node::Group(Role::Caption, vec![caption])
    }

    /// A detail: its label on the left, its value wrapped beside it.
    fn detail(&mut self, row: &Row) -> Node {
        const SIZE: f32 = 10.0;
        const LEADING: f32 = 14.0;
        let lines = FONTS.regular.wrap(&row.value, SIZE, RIGHT - VALUE_X);
        let height = LEADING * lines.len() as f32 + 8.0;
        self.room_for(height);
        let first = self.y + LEADING;
        let label = self.text(MARGIN, first, &row.label, SIZE, false, Ink::Grey);
        let value = lines
            .iter()
            .enumerate()
            .map(|(i, line)| self.text(VALUE_X, first + LEADING * i as f32, line, SIZE, false, Ink::Black))
            .collect();
        self.y += height;
        self.rule(self.y - 4.0, 0.5, Ink::Light);
        Node::Group(Role::Row, vec![Node::Group(Role::RowHeader, vec![label]), Node::Group(Role::Cell, value)])
    }

    /// A money line: its label on the left, its amount aligned right; a light rule under it
    /// unless `last`.
    fn amount(&mut self, row: &Row, bold: bool, last: bool) -> Node {
        const SIZE: f32 = 10.0;
        const LEADING: f32 = 14.0;
        let face = if bold { &FONTS.bold } else { &FONTS.regular };
        let amount_width = face.width(&row.value, SIZE);
        let lines = face.wrap(&row.label, SIZE, (RIGHT - MARGIN - amount_width - 24.0).max(60.0));
        let height = LEADING * lines.len() as f32 + 8.0;
        self.room_for(height);
        let first = self.y + LEADING;
        let ink = if bold { Ink::Black } else { Ink::Grey };
        let label = lines
            .iter()
            .enumerate()
            .map(|(i, line)| self.text(MARGIN, first + LEADING * i as f32, line, SIZE, bold, ink))
            .collect();
        let amount = self.text_right(RIGHT, first, &row.value, SIZE, bold, Ink::Black);
        self.y += height;
        if !last {
            self.rule(self.y - 4.0, 0.5, Ink::Light);
        }
        Node::Group(Role::Row, vec![Node::Group(Role::RowHeader, label), Node::Group(Role::Cell, vec![amount])])
    }
}

/// Places the sheet's words on A4 pages, and records what each is.
fn layout(sheet: &Sheet) -> Laid {
    let mut l = Layout::new();
    let mut structure = Vec::new();
    // The heading on the left, the issuer on the right, side by side.
    let top = l.y;
    let heading = l.text(MARGIN, top + 20.0, &sheet.heading, 20.0, true, Ink::Black);
    structure.push(Node::Group(Role::Heading, vec![heading]));
    let mut issuer_y = top + 12.0;
    let issuer_width = (RIGHT - MARGIN) / 2.0;
    let mut issuer = Vec::new();
    for (i, line) in sheet.issuer.iter().enumerate() {
        let (bold, size) = if i == 0 { (true, 11.0) } else { (false, 10.0) };
        let face = if bold { &FONTS.bold } else { &FONTS.regular };
        for part in face.wrap(line, size, issuer_width) {
            issuer.push(l.text_right(RIGHT, issuer_y, &part, size, bold, if bold { Ink::Black } else { Ink::Grey }));
            issuer_y += 14.0;
        }
    }
    structure.push(Node::Group(Role::Paragraph, issuer));
    l.y = issuer_y.max(top + 28.0) + 20.0;

    let caption = l.caption("Booking");
    let rows = sheet.details.iter().map(|row| l.detail(row)).collect();
    structure.push(Node::Group(Role::Table, vec![caption, Node::Group(Role::Body, rows)]));
    l.y += 16.0;

    let caption = l.caption("Payments");
    let columns = vec![
        Node::Group(Role::ColumnHeader, vec![l.text(MARGIN, l.y + 10.0, "Item", 8.0, false, Ink::Grey)]),
        Node::Group(Role::ColumnHeader, vec![l.text_right(RIGHT, l.y + 10.0, "Amount", 8.0, false, Ink::Grey)]),
    ];
    l.y += 14.0;
    l.rule(l.y, 0.5, Ink::Light);
    let count = sheet.lines.len();
    let lines = sheet.lines.iter().enumerate().map(|(i, row)| l.amount(row, false, i + 1 == count)).collect();
    l.room_for(24.0);
    l.rule(l.y, 1.2, Ink::Black);
    l.y += 2.0;
    let mut foot = vec![l.amount(&sheet.total, true, true)];
    if let Some(tax) = &sheet.tax {
        l.y -= 6.0;
        foot.push(l.amount(tax, false, true));
    }
    structure.push(Node::Group(
        Role::Table,
        vec![
            caption,
            Node::Group(Role::Head, vec![Node::Group(Role::Row, columns)]),
            Node::Group(Role::Body, lines),
            Node::Group(Role::Foot, foot),
        ],
    ));

    l.y += 20.0;
    let mut footer = Vec::new();
    for line in FONTS.regular.wrap(&sheet.footer, 9.0, RIGHT - MARGIN) {
        l.room_for(13.0);
        l.y += 13.0;
        footer.push(l.text(MARGIN, l.y, &line, 9.0, false, Ink::Grey));
    }
    structure.push(Node::Group(Role::Paragraph, footer));
    Laid { pages: l.pages, structure, texts: l.texts }
}

/// The receipt as PDF bytes: the same bytes for the same receipt.
pub fn render(receipt: &Receipt, sheet: &Sheet) -> anyhow::Result<Vec<u8>> {
    let mut document = Document::new();
    let issued = receipt.issued_at;
    let date = DateTime::new(u16::try_from(issued.year()).unwrap_or(9999))
        .month(issued.month() as u8)
        .day(issued.day() as u8)
        .hour(issued.hour() as u8)
        .minute(issued.minute() as u8)
        .second(issued.second() as u8)
        .utc_offset_hour(0);
    let title = format!("{} \u{2014} {}", sheet.heading, receipt.platform.name);
    document.set_metadata(
        Metadata::new()
            .title(title)
            .creator(receipt.platform.name.clone())
            .language("en".to_owned())
            .document_id(receipt.number.to_string())
            .creation_date(date),
    );
    let laid = layout(sheet);
    let mut tagged: Vec<Option<Identifier>> = vec![None; laid.texts];
    for marks in laid.pages {
        let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
            .ok_or_else(|| anyhow::anyhow!("the page size is not a size"))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for mark in marks {
            match mark {
                Mark::Text { id, x, y, text, size, bold, ink } => {
                    let face = if bold { &FONTS.bold } else { &FONTS.regular };
                    surface.set_fill(Some(ink.fill()));
                    let identifier = surface.start_tagged(ContentTag::Span(SpanTag::empty()));
                    surface.draw_text(Point::from_xy(x, y), face.font.clone(), size, &text, false, TextDirection::Auto);
                    surface.end_tagged();
                    if let Some(slot) = tagged.get_mut(id) {
                        *slot = Some(identifier);
                    }
                }
                Mark::Rule { x, y, width, thickness, ink } => {
                    let Some(rect) = Rect::from_xywh(x, y - thickness / 2.0, width, thickness) else { continue };
                    let mut path = PathBuilder::new();
                    path.push_rect(rect);
                    if let Some(path) = path.finish() {
                        surface.set_fill(Some(ink.fill()));
                        surface.start_tagged(ContentTag::Artifact(Artifact::new(ArtifactType::Layout, None)));
                        surface.draw_path(&path);
                        surface.end_tagged();
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    let mut tree = TagTree::new().with_lang(Some("en".to_owned()));
    for node in laid.structure {
        if let Some(node) = tag(node, &mut tagged) {
            tree.push(node);
        }
    }
    document.set_tag_tree(tree);
    document.finish().map_err(|e| anyhow::anyhow!("the receipt's PDF could not be written: {e:?}"))
}

/// A node of the structure as a node of the PDF's tag tree, with the drawn text it names.
/// Each drawn line belongs to exactly one node, as the tag tree requires; a group left
/// without children is dropped.
fn tag(node: Node, tagged: &mut [Option<Identifier>]) -> Option<krilla::tagging::Node> {
    let (role, children) = match node {
        Node::Text(id) => return tagged.get_mut(id).and_then(Option::take).map(Into::into),
        Node::Group(role, children) => (role, children),
    };
    let kind: TagKind = match role {
        Role::Heading => Tag::Hn(NonZeroU16::MIN, None).into(),
        Role::Paragraph => Tag::P.into(),
        Role::Table => Tag::Table.into(),
        Role::Caption => Tag::Caption.into(),
        Role::Head => Tag::THead.into(),
        Role::Body => Tag::TBody.into(),
        Role::Foot => Tag::TFoot.into(),
        Role::Row => Tag::TR.into(),
        Role::RowHeader => Tag::TH(TableHeaderScope::Row).into(),
        Role::ColumnHeader => Tag::TH(TableHeaderScope::Column).into(),
        Role::Cell => Tag::TD.into(),
    };
    let children: Vec<_> = children.into_iter().filter_map(|child| tag(child, tagged)).collect();
    (!children.is_empty()).then(|| TagGroup::with_children(kind, children).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipts::tests::example;

    fn texts(pages: &[Vec<Mark>]) -> Vec<String> {
        pages
            .iter()
            .flatten()
            .filter_map(|m| match m {
                Mark::Text { text, .. } => Some(text.clone()),
                Mark::Rule { .. } => None,
            })
            .collect()
    }

    #[test]
    fn the_same_receipt_is_the_same_bytes() {
        let r = example();
        let sheet = Sheet::of(&r);
        let first = render(&r, &sheet).expect("a PDF");
        assert!(first.starts_with(b"%PDF-"));
        assert_eq!(first, render(&r, &sheet).expect("a PDF"));
    }

    #[test]
    fn amounts_end_at_the_right_margin() {
        let sheet = Sheet::of(&example());
        let pages = layout(&sheet).pages;
        assert_eq!(pages.len(), 1);
        let total = pages[0]
            .iter()
            .find_map(|m| match m {
                Mark::Text { x, text, size, bold: true, .. } if text == "$15.00" => Some((*x, *size)),
                _ => None,
            })
            .expect("the total, in bold");
        let right = total.0 + FONTS.bold.width("$15.00", total.1);
        assert!((right - RIGHT).abs() < 0.01, "{right}");
        assert!(texts(&pages).contains(&"of which VAT 20 %".to_owned()));
    }

    #[test]
    fn every_line_of_text_has_one_place_in_the_structure() {
        fn ids(node: &Node, out: &mut Vec<usize>) {
            match node {
                Node::Text(id) => out.push(*id),
                Node::Group(_, children) => children.iter().for_each(|c| ids(c, out)),
            }
        }
        let laid = layout(&Sheet::of(&example()));
        let mut found = Vec::new();
        laid.structure.iter().for_each(|n| ids(n, &mut found));
        found.sort_unstable();
        assert_eq!(found, (0..laid.texts).collect::<Vec<_>>());
        let drawn = laid.pages.iter().flatten().filter(|m| matches!(m, Mark::Text { .. })).count();
        assert_eq!(drawn, laid.texts);
    }

    #[test]
    fn long_values_wrap_within_their_column_and_long_receipts_take_more_pages() {
        let face = &FONTS.regular;
        let lines = face.wrap(&"Maple Avenue ".repeat(20), 10.0, RIGHT - VALUE_X);
        assert!(lines.len() > 2, "{lines:?}");
        assert!(lines.iter().all(|l| face.width(l, 10.0) <= RIGHT - VALUE_X));
        assert_eq!(lines.join(" "), "Maple Avenue ".repeat(20).trim_end());
        let cut = face.wrap(&"x".repeat(400), 10.0, 100.0);
        assert!(cut.len() > 3 && cut.iter().all(|l| face.width(l, 10.0) <= 100.0));
        assert_eq!(cut.concat(), "x".repeat(400));

        let mut sheet = Sheet::of(&example());
        sheet.lines = vec![Row { label: "Payment".into(), value: "$1.00".into() }; 80];
        let pages = layout(&sheet).pages;
        assert!(pages.len() > 1);
        for page in &pages {
            for mark in page {
                if let Mark::Text { y, .. } = mark {
                    assert!(*y <= BOTTOM && *y >= MARGIN, "{mark:?} off the page");
                }
            }
        }
        assert_eq!(texts(&pages).iter().filter(|t| *t == "Payment").count(), 80);
    }
}
