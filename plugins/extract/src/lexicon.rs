//! Invoice-number labels built from parts rather than listed one by one.
//!
//! Real invoices combine a document word ("Rechnung", "Facture", "Inv.") with a
//! number word ("Nr.", "n°", "#", "Nummer") in any order, spelling and
//! punctuation: `Rechnungs-Nr.`, `RG-Nr.`, `N° de facture`, `Factuurnr.`,
//! `Nº factura`, `Numero documento`, `Nr. der Rechnung`. Listing every variant
//! misses the next one, so the matcher composes them from three small vocabularies.
//! Input is ASCII-folded, lower-case text (see `num::fold`).

/// Words that name the document being numbered.
const DOC_WORDS: &[&str] = &[
    // en
    "invoice",
    "inv.",
    "inv",
    "bill",
    "tax invoice",
    "vat invoice",
    "sales invoice",
    "credit note",
    "credit memo",
    "credit",
    "document",
    "doc.",
    "doc",
    // de
    "rechnung",
    "rechnungs",
    "rech.",
    "rechn.",
    "rechn",
    "re.",
    "re",
    "rg.",
    "rg",
    "beleg",
    "gutschrift",
    "gutschrifts",
    "dokument",
    "dokumenten",
    "korrekturrechnung",
    "rechnungskorrektur",
    "stornorechnung",
    // fr
    "facture",
    "fact.",
    "avoir",
    "piece",
    "note de credit",
    // nl
    "factuur",
    "nota",
    "creditnota",
    "creditfactuur",
    "document",
    // es
    "factura",
    "fra.",
    "fact",
    "abono",
    "documento",
    "factura rectificativa",
    "nota de credito",
    "nota de abono",
    // it
    "fattura",
    "fatt.",
    "nota di credito",
    "nota credito",
    "nota di accredito",
];

/// Words that say "number".
const NUM_WORDS: &[&str] = &[
    "number",
    "numbers",
    "num.",
    "num",
    "no.",
    "no",
    "nos.",
    "nr.",
    "nr",
    "nro.",
    "nro",
    "n.ro",
    "n.°",
    "n°",
    "n.",
    "n",
    "#",
    "id",
    "nummer",
    "numero",
    "ref.",
    "ref",
    "reference",
    "referenz",
    "referentie",
    "referencia",
    "riferimento",
    "rif.",
];

/// Between a document word and a number word ("Rechnungs-Nr.", "Inv. No").
const DOC_NUM_SEPS: &[&str] = &[" ", "-", ".-", ". ", ".", "", " - ", "/", " / ", "_"];

/// Between a number word and a document word ("N° de facture", "Nr. der Rechnung").
const NUM_DOC_SEPS: &[&str] = &[
    " de la ", " de ", " del ", " della ", " dello ", " di ", " d'", " der ", " des ", " van de ",
    " van ", " of ", " ",
];

/// Short document words that are also ordinary words or prefixes ("Re: your
/// order no. 5"): only with punctuation between them and the number word.
fn needs_punctuation(doc: &str) -> bool {
    matches!(doc, "re" | "rg" | "fact" | "credit" | "nota" | "bill")
}

/// A compound without separator is German/Dutch style ("Rechnungsnr",
/// "Factuurnummer"); elsewhere "invoiceno" is not a word.
fn compounds(doc: &str, num: &str) -> bool {
    matches!(num, "nr" | "nr." | "nummer" | "#")
        || (num == "no." && !doc.ends_with('.'))
        || doc.ends_with('.')
}

fn boundary_ok(s: &str, len: usize) -> bool {
    let label = &s[..len];
    let last = label.chars().last().unwrap_or(' ');
    if !last.is_alphanumeric() {
        return true;
    }
    let mut rest = s[len..].chars();
    match rest.next() {
        None => true,
        Some(c) if c.is_alphanumeric() => false,
        // `INV-12` / `RE/2026` is a value that starts like a label.
        Some('-' | '/') => !rest.next().is_some_and(|c| c.is_alphanumeric()),
        Some(_) => true,
    }
}

/// Length in bytes of a composed invoice-number label at the start of `s`
/// (folded text), the longest that ends at a word boundary.
pub fn invoice_label_len(s: &str) -> Option<usize> {
    let mut best: Option<usize> = None;
    let mut consider = |len: usize| {
        if len > best.unwrap_or(0) && boundary_ok(s, len) {
            best = Some(len);
        }
    };
    // Document word, then number word.
    for doc in DOC_WORDS {
        let Some(r1) = s.strip_prefix(doc) else {
            continue;
        };
        for sep in DOC_NUM_SEPS {
            let bare = sep.is_empty() || *sep == " ";
            let Some(r2) = r1.strip_prefix(sep) else {
                continue;
            };
            for num in NUM_WORDS {
                if sep.is_empty() && !compounds(doc, num) {
                    continue;
                }
                if bare && needs_punctuation(doc) && num.chars().all(char::is_alphanumeric) {
                    continue;
                }
                // "Document id" is fine, but "Re id" / "Credit ref" say nothing.
                if needs_punctuation(doc) && matches!(*num, "id" | "ref" | "ref." | "n") {
                    continue;
                }
                if r2.starts_with(num) {
                    consider(doc.len() + sep.len() + num.len());
                }
            }
        }
    }
    // Number word, then document word.
    for num in NUM_WORDS {
        if matches!(*num, "id" | "n" | "#") {
            continue;
        }
        let Some(r1) = s.strip_prefix(num) else {
            continue;
        };
        for sep in NUM_DOC_SEPS {
            let Some(r2) = r1.strip_prefix(sep) else {
                continue;
            };
            for doc in DOC_WORDS {
                if needs_punctuation(doc) || doc.ends_with('.') {
                    continue;
                }
                if r2.starts_with(doc) {
                    consider(num.len() + sep.len() + doc.len());
                }
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::invoice_label_len;

    fn label(s: &str) -> Option<&str> {
        invoice_label_len(s).map(|n| &s[..n])
    }

    #[test]
    fn composes_labels_in_six_languages() {
        for (text, want) in [
            ("rechnungs-nr. 2026-1", "rechnungs-nr."),
            ("rg-nr.: 4711", "rg-nr."),
            ("belegnr. 12", "belegnr."),
            ("n° de facture : f-12", "n° de facture"),
            ("n° facture f-12", "n° facture"),
            ("factuurnr. 2026", "factuurnr."),
            ("nummer factuur 12", "nummer factuur"),
            ("n° factura 12", "n° factura"),
            ("numero documento 12", "numero documento"),
            ("nr. der rechnung 12", "nr. der rechnung"),
            ("bill # 12", "bill #"),
            ("doc # 12", "doc #"),
            ("inv. no. 12", "inv. no."),
            ("invoice#12", "invoice#"),
        ] {
            assert_eq!(label(text), Some(want), "{text}");
        }
    }

    #[test]
    fn values_and_words_that_only_start_like_labels() {
        for text in [
            "inv-2026-12",
            "re: your order",
            "invoice nov 2026",
            "rechnung vom 12.03.2026",
            "invoice",
            "notation",
            "documents",
            "bill to",
            "n° tva fr12",
        ] {
            assert_eq!(label(text), None, "{text}");
        }
    }
}
