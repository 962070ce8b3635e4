//! CSV output that Excel opens correctly with Chinese text.
//!
//! Excel reads a CSV file as the system's ANSI code page (GBK on Chinese
//! Windows) unless it starts with a UTF-8 byte order mark, so every CSV the
//! daemon writes starts with one.

/// The UTF-8 byte order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Writes a header row and data rows as UTF-8 CSV with a BOM and CRLF line
/// ends, as Excel writes them.
pub fn write_table<I>(headers: &[&str], rows: I) -> Vec<u8>
where
    I: IntoIterator<Item = Vec<String>>,
{
    let mut out = BOM.to_vec();
    {
        // Flexible rows: a row of another width than the header is written
        // as it is instead of failing, so writing to a Vec cannot fail.
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .flexible(true)
            .from_writer(&mut out);
        writer.write_record(headers).expect("write to memory");
        for row in rows {
            writer
                .write_record(row.iter().map(|cell| neutralize_formula(cell).into_owned()))
                .expect("write to memory");
        }
        writer.flush().expect("write to memory");
    }
    out
}

/// Prefixes a cell that Excel would run as a formula (`=`, `+`, `@`, a tab
/// or a carriage return first, or `-` before anything but a plain number)
/// with an apostrophe, which Excel shows as text. Names come from the
/// configuration, PINs from devices and reasons from API clients, so a
/// cell such as `=HYPERLINK(...)` or `-2+3+cmd|...` must not become a live
/// formula. A negative number such as `-3` or `-0.5` stays a number.
fn neutralize_formula(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        Some('-') if !is_plain_number(&cell[1..]) => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Returns whether `text` is digits with at most one decimal point, such
/// as `3` or `0.5`.
fn is_plain_number(text: &str) -> bool {
    let mut parts = text.splitn(2, '.');
    let whole = parts.next().unwrap_or("");
    let fraction = parts.next();
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && fraction.is_none_or(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_starts_with_bom_and_quotes_commas() {
        let bytes = write_table(
            &["姓名", "备注"],
            vec![vec!["张三".into(), "迟到, 已核销".into()]],
        );
        assert!(bytes.starts_with(BOM));
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        assert_eq!(text, "姓名,备注\r\n张三,\"迟到, 已核销\"\r\n");
    }

    #[test]
    fn formula_cells_become_text() {
        let rows = vec![vec![
            "=1+1".into(),
            "@SUM(A1)".into(),
            "+86".into(),
            "-3".into(),
            "08:30".into(),
            "-2+3+cmd|' /C calc'!A0".into(),
            "-0.5".into(),
            "-".into(),
            "-1.".into(),
        ]];
        let bytes = write_table(&["a", "b", "c", "d", "e", "f", "g", "h", "i"], rows);
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        assert_eq!(
            text,
            "a,b,c,d,e,f,g,h,i\r\n'=1+1,'@SUM(A1),'+86,-3,08:30,'-2+3+cmd|' /C calc'!A0,-0.5,'-,'-1.\r\n"
        );
    }
}
