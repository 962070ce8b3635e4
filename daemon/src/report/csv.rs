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
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        // Writing to a Vec cannot fail, and every row has the header's width.
        writer.write_record(headers).expect("write to memory");
        for row in rows {
            writer.write_record(&row).expect("write to memory");
        }
        writer.flush().expect("write to memory");
    }
    out
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
}
