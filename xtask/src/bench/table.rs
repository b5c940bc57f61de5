//! Plain-text tables for the printed report: columns padded to a common width, each line
//! indented by two spaces.

/// Which side of its column a cell keeps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// One column: its heading, the least width it takes, its alignment and the spaces between it
/// and the column before.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    heading: &'static str,
    width: usize,
    align: Align,
    gap: usize,
}

impl Column {
    /// A column of text, padded on the right to at least `width` characters.
    pub const fn left(heading: &'static str, width: usize) -> Column {
        Column { heading, width, align: Align::Left, gap: 1 }
    }

    /// A column of figures, padded on the left to at least `width` characters.
    pub const fn right(heading: &'static str, width: usize) -> Column {
        Column { heading, width, align: Align::Right, gap: 1 }
    }

    /// The same column set further apart from the one before it.
    pub const fn after_gap(self, gap: usize) -> Column {
        Column { gap, ..self }
    }
}

/// The lines of a table: the headings, then one line per row of cells.
pub fn with_headings(columns: &[Column], rows: &[Vec<String>]) -> Vec<String> {
    let headings: Vec<String> = columns.iter().map(|c| c.heading.to_owned()).collect();
    let all: Vec<&[String]> = std::iter::once(headings.as_slice()).chain(rows.iter().map(Vec::as_slice)).collect();
    lines(columns, &all)
}

/// The lines of a table without its headings, for lists whose columns speak for themselves.
pub fn without_headings(columns: &[Column], rows: &[Vec<String>]) -> Vec<String> {
    let all: Vec<&[String]> = rows.iter().map(Vec::as_slice).collect();
    lines(columns, &all)
}

/// Pads every cell to its column's width: the widest cell of the column or the column's least
/// width, whichever is more. Characters are counted as `format!` counts them, so a table whose
/// cells fit the least widths prints as `{:<width$}`/`{:>width$}` would.
fn lines(columns: &[Column], rows: &[&[String]]) -> Vec<String> {
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            rows.iter().filter_map(|row| row.get(i)).map(|cell| cell.chars().count()).fold(column.width, usize::max)
        })
        .collect();
    rows.iter()
        .map(|row| {
            let mut line = String::from("  ");
            for (i, ((column, width), cell)) in columns.iter().zip(&widths).zip(row.iter()).enumerate() {
                if i > 0 {
                    line.push_str(&" ".repeat(column.gap));
                }
                let padding = " ".repeat(width - cell.chars().count());
                match column.align {
                    Align::Left => line.extend([cell.as_str(), &padding]),
                    Align::Right => line.extend([&padding, cell.as_str()]),
                }
            }
            // A left-aligned last column would leave its padding at the end of the line.
            line.truncate(line.trim_end().len());
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|&c| c.to_owned()).collect()
    }

    #[test]
    fn cells_that_fit_are_padded_like_format_would() {
        let columns = [Column::left("name", 6), Column::right("n", 4), Column::left("note", 0).after_gap(2)];
        let lines = with_headings(&columns, &[row(&["ab", "12", "ok"]), row(&["cd", "3", "≤ 1"])]);
        assert_eq!(lines[0], format!("  {:<6} {:>4}  note", "name", "n"));
        assert_eq!(lines[1], format!("  {:<6} {:>4}  ok", "ab", "12"));
        assert_eq!(lines[2], format!("  {:<6} {:>4}  ≤ 1", "cd", "3"));
    }

    #[test]
    fn a_wide_cell_widens_its_column() {
        let columns = [Column::left("", 4), Column::right("", 3)];
        let lines = without_headings(&columns, &[row(&["a", "1"]), row(&["longer", "22"])]);
        assert_eq!(lines, ["  a        1", "  longer  22"]);
    }
}
