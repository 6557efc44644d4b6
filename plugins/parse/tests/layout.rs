//! Where the layout step puts spaces between separately shown runs: tightly packed
//! table cells and labels set against their values must come apart, words split
//! across runs (kerning, a bold first syllable) must stay whole.
mod common;

use common::Builder;
use parse::parse_bytes;

/// One page using Courier (F1), Helvetica (F2), Helvetica-Bold (F3), Times-Roman
/// (F4) and Times-Bold (F5), none embedded and without /Widths, as the standard
/// fonts usually are.
fn lines(content: &str) -> Vec<String> {
    let mut b = Builder::new();
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>");
    b.obj(
        2,
        "<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>",
    );
    b.obj(
        3,
        "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R /F2 6 0 R \
         /F3 7 0 R /F4 8 0 R /F5 9 0 R >> >> /Contents 4 0 R >>",
    );
    b.flate_stream(4, "", content.as_bytes());
    for (n, name) in [
        (5, "Courier"),
        (6, "Helvetica"),
        (7, "Helvetica-Bold"),
        (8, "Times-Roman"),
        (9, "Times-Bold"),
    ] {
        b.obj(
            n,
            &format!(
                "<< /Type /Font /Subtype /Type1 /BaseFont /{name} /Encoding /WinAnsiEncoding >>"
            ),
        );
    }
    b.xref("/Root 1 0 R");
    let d = parse_bytes(&b.buf, "t.pdf").unwrap_or_else(|e| panic!("{e:?}"));
    d.pages
        .iter()
        .flat_map(|p| p.lines.iter().map(|l| l.text.clone()))
        .collect()
}

#[test]
fn tightly_packed_courier_cells_are_separated() {
    // Six cells 81.17 pt apart; a 14-character date in 9.5 pt Courier is 79.8 pt,
    // so the next cell starts 1.4 pt (0.14 em, a quarter of a Courier space) later.
    let t = lines(
        "BT /F1 9.5 Tf 58.00 641.50 Td (RE1774) Tj ET\n\
         BT /F1 9.5 Tf 139.17 641.50 Td (22 luglio 2026) Tj ET\n\
         BT /F1 9.5 Tf 220.33 641.50 Td (21 agosto 2026) Tj ET\n\
         BT /F1 9.5 Tf 301.50 641.50 Td (K10777) Tj ET\n\
         BT /F1 9.5 Tf 382.67 641.50 Td (PO-416015) Tj ET\n",
    );
    assert_eq!(
        t,
        ["RE1774  22 luglio 2026 21 agosto 2026 K10777  PO-416015"]
    );
}

#[test]
fn a_cell_overflowing_into_the_next_is_still_two_words() {
    // "17 november 2025" is 91 pt wide: the next cell starts 10 pt inside it.
    let t = lines(
        "BT /F1 9.5 Tf 139.17 641.50 Td (17 november 2025) Tj ET\n\
         BT /F1 9.5 Tf 220.33 641.50 Td (1 december 2025) Tj ET\n",
    );
    assert_eq!(t, ["17 november 2025 1 december 2025"]);
}

#[test]
fn words_split_across_runs_stay_whole() {
    // Helvetica-Bold "Rech" is 722+556+556+611 = 2445/1000 em: 24.45 pt at 10 pt.
    // Times-Bold "Rech" is 722+444+444+556 = 2166: 21.66 pt.
    let t = lines(
        "BT /F3 10 Tf 50 700 Td (Rech) Tj ET BT /F2 10 Tf 74.45 700 Td (nung) Tj ET\n\
         BT /F5 10 Tf 50 680 Td (Rech) Tj ET BT /F4 10 Tf 71.66 680 Td (nung) Tj ET\n\
         BT /F2 10 Tf 50 660 Td (Rech) Tj /F3 10 Tf (nung) Tj ET\n\
         BT /F2 10 Tf 50 640 Td [(Ge)30(samt)-20(betrag)] TJ ET\n",
    );
    assert_eq!(t, ["Rechnung", "Rechnung", "Rechnung", "Gesamtbetrag"]);
}

#[test]
fn times_uses_its_own_metrics() {
    // Times-Roman "Gesamt" is 722+444+389+444+778+278 = 3055/1000 em. A run 1.5 pt
    // (0.15 em) after its end is a new word; one right at its end continues it.
    // Helvetica widths scaled by 0.9 (3150) would glue the first and split neither.
    let t = lines(
        "BT /F4 10 Tf 50 700 Td (Gesamt) Tj ET BT /F4 10 Tf 82.05 700 Td (betrag) Tj ET\n\
         BT /F4 10 Tf 50 680 Td (Gesamt) Tj ET BT /F4 10 Tf 80.55 680 Td (betrag) Tj ET\n",
    );
    assert_eq!(t, ["Gesamt betrag", "Gesamtbetrag"]);
}

#[test]
fn labels_set_against_their_values_come_apart() {
    // Helvetica-Bold "Bruttobetrag" is 6055/1000 em: 54.5 pt at 9 pt. The amount
    // starts right at (or a little before) its end; the label "Totaalbedrag" meets
    // the currency code the same way.
    let t = lines(
        "BT /F3 9 Tf 50 700 Td (Bruttobetrag) Tj ET BT /F3 9 Tf 104.2 700 Td (5.453,62) Tj ET\n\
         BT /F2 9 Tf 50 680 Td (Totaalbedrag) Tj ET BT /F2 9 Tf 103.0 680 Td (EUR 1.771,83) Tj ET\n\
         BT /F2 9 Tf 50 660 Td (USt-IdNr.) Tj ET BT /F2 9 Tf 90 660 Td (DE123456789) Tj ET\n",
    );
    assert_eq!(
        t,
        [
            "Bruttobetrag 5.453,62",
            "Totaalbedrag EUR 1.771,83",
            "USt-IdNr. DE123456789"
        ]
    );
}
