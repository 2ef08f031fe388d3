use super::*;

#[test]
fn the_template_names_every_column_once() {
    let t = template_csv();
    let mut lines = t.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let example: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header.len(), COLUMNS.len());
    assert_eq!(example.len(), header.len());
    let mut unique = header.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), header.len());
}

#[test]
fn a_file_must_be_text_and_not_a_spreadsheet() {
    assert!(file_text("fleet.xlsx", b"kind", "CSV")
        .unwrap_err()
        .contains("save it as CSV"));
    assert!(file_text("fleet.csv", &[0xff, 0xfe, 0x00], "CSV")
        .unwrap_err()
        .contains("UTF-8"));
    assert_eq!(
        file_text("fleet.csv", b"  \n", "CSV").unwrap_err(),
        "The selected file is empty"
    );
    assert!(file_text("fleet.csv", &vec![b'a'; MAX_FILE_BYTES + 1], "CSV")
        .unwrap_err()
        .contains("smaller than 200 KB"));
    // Spreadsheets often start a CSV file with a byte order mark.
    assert_eq!(
        file_text("fleet.csv", "\u{feff}kind\n".as_bytes(), "CSV").unwrap(),
        "kind\n"
    );
}

#[test]
fn each_problem_is_shown_with_its_row() {
    let csv = "kind,make\nCAR,Renault\nBUS,Volvo\n";
    let p = problems(
        &[
            RowError {
                line: 3,
                field: "kind".into(),
                message: "Unknown kind".into(),
            },
            RowError {
                line: 1,
                field: String::new(),
                message: "Bad header".into(),
            },
        ],
        Some(csv),
    );
    assert_eq!(p[0].row, "BUS,Volvo");
    assert_eq!(p[0].line, "3");
    assert_eq!(p[0].id, "problem-1");
    assert_eq!(p[1].line, "1 (header)");
    assert_eq!(p[1].field, "Whole line");
}
