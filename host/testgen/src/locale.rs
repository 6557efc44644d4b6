//! Language-specific labels, number, date and money formats.
// `*rng.pick(&[...])` needs the explicit deref to yield `&'static str`; the lint misreads it.
#![allow(clippy::explicit_auto_deref)]

use crate::util::{Date, Rng};

pub const LANGS: [&str; 6] = ["en", "de", "fr", "nl", "es", "it"];

/// Narrow no-break space. WinAnsi lacks it; the PDF writer maps it to a spare code
/// through an /Encoding /Differences entry named `uni202F`.
pub const NNBSP: char = '\u{202F}';
pub const NBSP: char = '\u{00A0}';

#[derive(Clone, Copy, Debug)]
pub struct NumFmt {
    pub group: Option<char>,
    pub decimal: char,
}

impl NumFmt {
    pub fn amount(&self, minor: i64) -> String {
        let neg = minor < 0;
        let a = minor.unsigned_abs();
        let whole = (a / 100).to_string();
        let mut grouped = String::new();
        for (i, c) in whole.chars().enumerate() {
            if let (true, Some(g)) = (i > 0 && (whole.len() - i).is_multiple_of(3), self.group) {
                grouped.push(g);
            }
            grouped.push(c);
        }
        format!(
            "{}{grouped}{}{:02}",
            if neg { "-" } else { "" },
            self.decimal,
            a % 100
        )
    }

    /// A rate in basis points, e.g. "19", "5,5".
    pub fn rate(&self, bp: u32) -> String {
        crate::util::rate_str(bp).replace('.', &self.decimal.to_string())
    }

    pub fn qty(&self, milli: i64) -> String {
        crate::util::qty_str(milli).replace('.', &self.decimal.to_string())
    }
}

/// Number format for a language/country pair; French-style grouping varies.
pub fn num_fmt(lang: &str, country: &str, rng: &mut Rng) -> NumFmt {
    if country == "CH" && lang != "fr" {
        return NumFmt {
            group: Some(*rng.pick(&['\'', '\u{2019}'])),
            decimal: '.',
        };
    }
    match lang {
        "en" => NumFmt {
            group: Some(','),
            decimal: '.',
        },
        "fr" => NumFmt {
            group: Some(*rng.pick(&[' ', NBSP, NNBSP])),
            decimal: ',',
        },
        "nl" if rng.pct(20) => NumFmt {
            group: None,
            decimal: ',',
        },
        _ => NumFmt {
            group: Some('.'),
            decimal: ',',
        },
    }
}

fn month_names(lang: &str) -> [&'static str; 12] {
    match lang {
        "de" => [
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ],
        "fr" => [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ],
        "nl" => [
            "januari",
            "februari",
            "maart",
            "april",
            "mei",
            "juni",
            "juli",
            "augustus",
            "september",
            "oktober",
            "november",
            "december",
        ],
        "es" => [
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ],
        "it" => [
            "gennaio",
            "febbraio",
            "marzo",
            "aprile",
            "maggio",
            "giugno",
            "luglio",
            "agosto",
            "settembre",
            "ottobre",
            "novembre",
            "dicembre",
        ],
        _ => [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
    }
}

fn month_abbr(lang: &str) -> [&'static str; 12] {
    match lang {
        "fr" => [
            "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
            "nov.", "déc.",
        ],
        "de" => [
            "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.",
            "Dez.",
        ],
        _ => [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ],
    }
}

/// Date styles; the holdout split also uses the ones marked holdout-only in
/// [`date_styles`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DateStyle {
    Dots,      // 31.12.2026
    SlashDmy,  // 31/12/2026
    SlashMdy,  // 12/31/2026
    Iso,       // 2026-12-31
    DashDmy,   // 31-12-2026
    LongDmy,   // 31 December 2026 / 31. Dezember 2026 / 31 de diciembre de 2026
    LongMdy,   // December 31, 2026
    AbbrDmy,   // 31 déc. 2026 / 31 Dec 2026
    ShortYear, // 31.12.26 (holdout only)
}

/// (dev styles, holdout-only styles) per language and country.
pub fn date_styles(lang: &str, country: &str) -> (&'static [DateStyle], &'static [DateStyle]) {
    use DateStyle::*;
    match lang {
        "en" if country == "US" => (&[SlashMdy, LongMdy], &[Iso]),
        "en" => (&[SlashDmy, LongDmy, AbbrDmy, Iso], &[LongMdy]),
        "de" => (&[Dots, LongDmy, Iso], &[ShortYear, AbbrDmy]),
        "fr" => (&[SlashDmy, AbbrDmy, LongDmy], &[Dots]),
        "nl" => (&[DashDmy, LongDmy, SlashDmy], &[Iso]),
        "es" => (&[SlashDmy, LongDmy, DashDmy], &[Dots]),
        _ => (&[SlashDmy, LongDmy, Dots], &[DashDmy]),
    }
}

pub fn fmt_date(d: Date, style: DateStyle, lang: &str) -> String {
    use DateStyle::*;
    let mn = month_names(lang)[d.m as usize - 1];
    match style {
        Dots => format!("{:02}.{:02}.{}", d.d, d.m, d.y),
        SlashDmy => format!("{:02}/{:02}/{}", d.d, d.m, d.y),
        SlashMdy => format!("{:02}/{:02}/{}", d.m, d.d, d.y),
        Iso => d.iso(),
        DashDmy => format!("{:02}-{:02}-{}", d.d, d.m, d.y),
        ShortYear => format!("{:02}.{:02}.{:02}", d.d, d.m, d.y % 100),
        LongMdy => format!("{mn} {}, {}", d.d, d.y),
        AbbrDmy => format!("{} {} {}", d.d, month_abbr(lang)[d.m as usize - 1], d.y),
        LongDmy => match lang {
            "de" => format!("{}. {mn} {}", d.d, d.y),
            "es" => format!("{} de {mn} de {}", d.d, d.y),
            "fr" if d.d == 1 => format!("1er {mn} {}", d.y),
            _ => format!("{} {mn} {}", d.d, d.y),
        },
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MoneyStyle {
    SymbolBefore,
    SymbolAfter,
    CodeBefore,
    CodeAfter,
    Bare,
}

pub fn symbol(cur: &str) -> &'static str {
    match cur {
        "EUR" => "€",
        "USD" => "$",
        "GBP" => "£",
        "CHF" => "CHF",
        "SEK" => "kr",
        // "zł" is not encodable in WinAnsi, so Polish amounts print the code.
        _ => "PLN",
    }
}

pub fn money_style(lang: &str, cur: &str, rng: &mut Rng) -> MoneyStyle {
    use MoneyStyle::*;
    match (lang, cur) {
        ("en", "USD" | "GBP") => *rng.pick(&[SymbolBefore, SymbolBefore, CodeBefore, Bare]),
        ("en", _) => *rng.pick(&[SymbolBefore, CodeBefore, CodeAfter, Bare]),
        ("nl", "EUR") => *rng.pick(&[SymbolBefore, CodeBefore, Bare]),
        (_, "EUR") => *rng.pick(&[SymbolAfter, SymbolAfter, CodeAfter, Bare]),
        (_, "SEK") => *rng.pick(&[SymbolAfter, CodeAfter]),
        _ => *rng.pick(&[CodeBefore, CodeAfter, Bare]),
    }
}

pub fn fmt_money(minor: i64, cur: &str, style: MoneyStyle, nf: &NumFmt) -> String {
    let n = nf.amount(minor);
    let sp = if nf.decimal == ',' { NBSP } else { ' ' };
    match style {
        MoneyStyle::SymbolBefore => {
            let s = symbol(cur);
            if s.len() > 2 && s.is_ascii() {
                format!("{s} {n}")
            } else if cur == "EUR" && nf.decimal == ',' {
                format!("€ {n}")
            } else {
                format!("{s}{n}")
            }
        }
        MoneyStyle::SymbolAfter => format!("{n}{sp}{}", symbol(cur)),
        MoneyStyle::CodeBefore => format!("{cur} {n}"),
        MoneyStyle::CodeAfter => format!("{n} {cur}"),
        MoneyStyle::Bare => n,
    }
}

/// Label keys printed on documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum L {
    Invoice,
    CreditNote,
    InvoiceNo,
    CreditNoteNo,
    Date,
    DueDate,
    Po,
    CustomerNo,
    VatId,
    BuyerVatId,
    Description,
    Qty,
    UnitPrice,
    Amount,
    VatRate,
    Subtotal,
    Discount,
    Net,
    Vat,
    Gross,
    Prepaid,
    AmountDue,
    Iban,
    Bic,
    Bank,
    Page,
    Continued,
    BillTo,
    Terms,
}

/// Returns (dev synonyms, holdout-only synonyms). The holdout split draws from both
/// lists; the dev split never prints the second list.
pub fn label(lang: &str, key: L) -> (&'static [&'static str], &'static [&'static str]) {
    use L::*;
    match lang {
        "de" => match key {
            Invoice => (&["Rechnung", "RECHNUNG"], &["Faktura"]),
            CreditNote => (&["Gutschrift", "Rechnungskorrektur"], &["Stornorechnung"]),
            InvoiceNo => (
                &["Rechnungsnummer", "Rechnungs-Nr.", "Rechnung Nr."],
                &["Beleg-Nr.", "Fakturanummer"],
            ),
            CreditNoteNo => (&["Gutschrift-Nr.", "Gutschriftsnummer"], &["Beleg-Nr."]),
            Date => (
                &["Rechnungsdatum", "Datum"],
                &["Belegdatum", "Ausstellungsdatum"],
            ),
            DueDate => (
                &["Fällig am", "Zahlbar bis", "Fälligkeitsdatum"],
                &["Zahlungsziel"],
            ),
            Po => (&["Bestellnummer", "Ihre Bestellung"], &["Auftragsnummer"]),
            CustomerNo => (&["Kundennummer", "Kunden-Nr."], &["Debitor"]),
            VatId => (&["USt-IdNr.", "USt-ID"], &["Umsatzsteuer-ID"]),
            BuyerVatId => (&["Ihre USt-IdNr."], &["USt-ID Kunde"]),
            Description => (&["Beschreibung", "Bezeichnung"], &["Leistung"]),
            Qty => (&["Menge", "Anz."], &["Stück"]),
            UnitPrice => (&["Einzelpreis", "E-Preis"], &["Preis/Einheit"]),
            Amount => (&["Betrag", "Gesamt"], &["Summe"]),
            VatRate => (&["USt.", "MwSt."], &["Steuersatz"]),
            Subtotal => (&["Zwischensumme"], &["Summe Positionen"]),
            Discount => (&["Rabatt", "Nachlass"], &["Skonto"]),
            Net => (&["Nettobetrag", "Summe netto", "Netto"], &["Gesamt netto"]),
            Vat => (&["MwSt.", "USt.", "Umsatzsteuer"], &["zzgl. Umsatzsteuer"]),
            Gross => (
                &["Gesamtbetrag", "Bruttobetrag", "Summe brutto"],
                &["Rechnungsbetrag"],
            ),
            Prepaid => (&["Bereits bezahlt", "Anzahlung"], &["Abschlagszahlung"]),
            AmountDue => (
                &["Zu zahlen", "Zahlbetrag", "Offener Betrag"],
                &["Zahlungsbetrag"],
            ),
            Iban => (&["IBAN"], &["Konto (IBAN)"]),
            Bic => (&["BIC", "SWIFT/BIC"], &["BIC-Code"]),
            Bank => (&["Bankverbindung"], &["Zahlungsempfänger"]),
            Page => (&["Seite"], &["Blatt"]),
            Continued => (&["Übertrag", "Fortsetzung"], &["Fortsetzung von Seite"]),
            BillTo => (&["Rechnungsempfänger", "An"], &["Empfänger"]),
            Terms => (
                &["Zahlbar innerhalb von {d} Tagen ohne Abzug."],
                &["Zahlungsziel {d} Tage netto."],
            ),
        },
        "fr" => match key {
            Invoice => (&["Facture", "FACTURE"], &["Note de frais"]),
            CreditNote => (&["Avoir", "Facture d'avoir"], &["Note de crédit"]),
            InvoiceNo => (
                &["N° de facture", "Facture n°", "Numéro de facture"],
                &["Réf. facture", "N° pièce"],
            ),
            CreditNoteNo => (&["N° d'avoir", "Avoir n°"], &["Réf. avoir"]),
            Date => (
                &["Date de facture", "Date"],
                &["Date d'émission", "Émise le"],
            ),
            DueDate => (
                &["Date d'échéance", "Échéance", "À payer avant le"],
                &["Payable le"],
            ),
            Po => (&["N° de commande", "Bon de commande"], &["Réf. commande"]),
            CustomerNo => (&["N° client", "Code client"], &["Réf. client"]),
            VatId => (&["N° TVA", "TVA intracommunautaire"], &["Identifiant TVA"]),
            BuyerVatId => (&["Votre N° TVA"], &["TVA client"]),
            Description => (&["Désignation", "Description"], &["Libellé"]),
            Qty => (&["Qté", "Quantité"], &["Nb"]),
            UnitPrice => (&["Prix unitaire", "P.U. HT"], &["Tarif"]),
            Amount => (&["Montant HT", "Total HT"], &["Montant"]),
            VatRate => (&["TVA", "Taux TVA"], &["Taux"]),
            Subtotal => (&["Sous-total"], &["Total lignes"]),
            Discount => (&["Remise"], &["Escompte"]),
            Net => (&["Total HT", "Montant HT"], &["Base HT"]),
            Vat => (&["TVA", "Montant TVA"], &["Total TVA"]),
            Gross => (&["Total TTC", "Montant TTC"], &["Net à payer TTC"]),
            Prepaid => (&["Acompte versé", "Déjà réglé"], &["Acompte"]),
            AmountDue => (&["Net à payer", "Reste à payer"], &["Solde dû"]),
            Iban => (&["IBAN"], &["Compte IBAN"]),
            Bic => (&["BIC"], &["Code BIC"]),
            Bank => (&["Coordonnées bancaires"], &["Règlement par virement"]),
            Page => (&["Page"], &["Feuillet"]),
            Continued => (&["Suite", "Report"], &["À reporter"]),
            BillTo => (&["Facturé à", "Client"], &["Destinataire"]),
            Terms => (
                &["Paiement à {d} jours."],
                &["Règlement sous {d} jours net."],
            ),
        },
        "nl" => match key {
            Invoice => (&["Factuur", "FACTUUR"], &["Nota"]),
            CreditNote => (&["Creditnota", "Creditfactuur"], &["Credit nota"]),
            InvoiceNo => (
                &["Factuurnummer", "Factuurnr.", "Factuur nr."],
                &["Notanummer", "Ons kenmerk"],
            ),
            CreditNoteNo => (&["Creditnotanummer", "Creditnota nr."], &["Kenmerk"]),
            Date => (&["Factuurdatum", "Datum"], &["Datum uitgifte"]),
            DueDate => (
                &["Vervaldatum", "Te betalen voor"],
                &["Uiterste betaaldatum"],
            ),
            Po => (&["Ordernummer", "Inkoopordernummer"], &["Uw referentie"]),
            CustomerNo => (&["Klantnummer"], &["Debiteurnummer"]),
            VatId => (&["Btw-nummer", "BTW-nr."], &["Btw-id"]),
            BuyerVatId => (&["Uw btw-nummer"], &["Btw klant"]),
            Description => (&["Omschrijving"], &["Artikel"]),
            Qty => (&["Aantal"], &["Aant."]),
            UnitPrice => (&["Prijs", "Stukprijs"], &["Tarief"]),
            Amount => (&["Bedrag", "Totaal"], &["Regeltotaal"]),
            VatRate => (&["Btw", "Btw %"], &["Tarief btw"]),
            Subtotal => (&["Subtotaal"], &["Totaal regels"]),
            Discount => (&["Korting"], &["Kredietbeperking"]),
            Net => (
                &["Totaal excl. btw", "Subtotaal excl. btw"],
                &["Netto bedrag"],
            ),
            Vat => (&["Btw", "Btw-bedrag"], &["Totaal btw"]),
            Gross => (&["Totaal incl. btw", "Totaalbedrag"], &["Eindtotaal"]),
            Prepaid => (&["Reeds betaald", "Aanbetaling"], &["Voorschot"]),
            AmountDue => (&["Te betalen", "Openstaand bedrag"], &["Nog te voldoen"]),
            Iban => (&["IBAN"], &["Rekening (IBAN)"]),
            Bic => (&["BIC"], &["BIC-code"]),
            Bank => (&["Betaalgegevens"], &["Bankgegevens"]),
            Page => (&["Pagina"], &["Blad"]),
            Continued => (&["Vervolg"], &["Transport"]),
            BillTo => (&["Factuuradres", "Aan"], &["Geadresseerde"]),
            Terms => (
                &["Betaling binnen {d} dagen."],
                &["Betalingstermijn {d} dagen."],
            ),
        },
        "es" => match key {
            Invoice => (&["Factura", "FACTURA"], &["Factura comercial"]),
            CreditNote => (&["Nota de crédito", "Factura rectificativa"], &["Abono"]),
            InvoiceNo => (
                &["Número de factura", "Nº factura", "Factura n.º"],
                &["Núm. documento", "Serie y número"],
            ),
            CreditNoteNo => (&["Nº rectificativa", "Número de abono"], &["Ref. abono"]),
            Date => (&["Fecha de factura", "Fecha"], &["Fecha de emisión"]),
            DueDate => (
                &["Fecha de vencimiento", "Vencimiento"],
                &["Pagar antes de"],
            ),
            Po => (&["Nº de pedido", "Pedido"], &["Orden de compra"]),
            CustomerNo => (&["Nº cliente"], &["Código cliente"]),
            VatId => (&["NIF", "CIF/NIF"], &["NIF-IVA"]),
            BuyerVatId => (&["NIF cliente"], &["CIF destinatario"]),
            Description => (&["Descripción", "Concepto"], &["Artículo"]),
            Qty => (&["Cantidad", "Cant."], &["Uds."]),
            UnitPrice => (&["Precio unitario", "Precio"], &["P. unit."]),
            Amount => (&["Importe"], &["Total línea"]),
            VatRate => (&["IVA", "% IVA"], &["Tipo IVA"]),
            Subtotal => (&["Subtotal"], &["Suma"]),
            Discount => (&["Descuento"], &["Dto."]),
            Net => (&["Base imponible", "Total sin IVA"], &["Importe neto"]),
            Vat => (&["IVA", "Cuota IVA"], &["Total IVA"]),
            Gross => (&["Total factura", "Total"], &["Importe total"]),
            Prepaid => (&["Anticipo", "Ya pagado"], &["Pago a cuenta"]),
            AmountDue => (
                &["Total a pagar", "Importe a pagar"],
                &["Pendiente de pago"],
            ),
            Iban => (&["IBAN"], &["Cuenta IBAN"]),
            Bic => (&["BIC", "SWIFT"], &["Código BIC"]),
            Bank => (&["Datos bancarios"], &["Forma de pago: transferencia"]),
            Page => (&["Página"], &["Hoja"]),
            Continued => (&["Continúa", "Suma anterior"], &["Continuación"]),
            BillTo => (&["Facturar a", "Cliente"], &["Destinatario"]),
            Terms => (&["Pago a {d} días."], &["Vencimiento a {d} días."]),
        },
        "it" => match key {
            Invoice => (&["Fattura", "FATTURA"], &["Fattura commerciale"]),
            CreditNote => (&["Nota di credito", "Nota credito"], &["Storno fattura"]),
            InvoiceNo => (
                &["Numero fattura", "Fattura n.", "N. fattura"],
                &["Num. documento", "Nr. doc."],
            ),
            CreditNoteNo => (&["Nota di credito n.", "Numero nota"], &["Rif. nota"]),
            Date => (
                &["Data fattura", "Data"],
                &["Data documento", "Data emissione"],
            ),
            DueDate => (&["Scadenza", "Data di scadenza"], &["Pagamento entro il"]),
            Po => (&["Numero ordine", "Vs. ordine"], &["Rif. ordine"]),
            CustomerNo => (&["Codice cliente"], &["Cod. cliente"]),
            VatId => (&["Partita IVA", "P. IVA"], &["P.IVA"]),
            BuyerVatId => (&["P. IVA cliente"], &["Vs. Partita IVA"]),
            Description => (&["Descrizione"], &["Articolo"]),
            Qty => (&["Quantità", "Q.tà"], &["Qtà"]),
            UnitPrice => (&["Prezzo unitario", "Prezzo"], &["Pr. unit."]),
            Amount => (&["Importo"], &["Totale riga"]),
            VatRate => (&["IVA", "Aliquota"], &["% IVA"]),
            Subtotal => (&["Subtotale"], &["Totale righe"]),
            Discount => (&["Sconto"], &["Abbuono"]),
            Net => (&["Imponibile", "Totale imponibile"], &["Totale netto"]),
            Vat => (&["IVA", "Totale IVA"], &["Imposta"]),
            Gross => (
                &["Totale fattura", "Totale documento"],
                &["Totale complessivo"],
            ),
            Prepaid => (&["Acconto", "Già pagato"], &["Anticipo"]),
            AmountDue => (&["Netto a pagare", "Totale da pagare"], &["Da pagare"]),
            Iban => (&["IBAN"], &["Coordinate IBAN"]),
            Bic => (&["BIC", "SWIFT"], &["Codice BIC"]),
            Bank => (&["Coordinate bancarie"], &["Modalità di pagamento"]),
            Page => (&["Pagina"], &["Foglio"]),
            Continued => (&["Segue", "Riporto"], &["Continua"]),
            BillTo => (&["Spett.le", "Cliente"], &["Destinatario"]),
            Terms => (&["Pagamento a {d} giorni."], &["Bonifico a {d} gg."]),
        },
        _ => match key {
            Invoice => (&["Invoice", "INVOICE", "Tax Invoice"], &["Bill"]),
            CreditNote => (&["Credit Note", "CREDIT NOTE"], &["Credit Memo"]),
            InvoiceNo => (
                &["Invoice number", "Invoice No.", "Invoice #"],
                &["Bill no.", "Reference"],
            ),
            CreditNoteNo => (&["Credit note no.", "Credit note number"], &["Memo no."]),
            Date => (
                &["Invoice date", "Date", "Date of issue"],
                &["Issued", "Bill date"],
            ),
            DueDate => (&["Due date", "Payment due", "Due"], &["Pay by"]),
            Po => (
                &["PO number", "Purchase order", "Your order"],
                &["Order ref."],
            ),
            CustomerNo => (&["Customer no.", "Account"], &["Client ID"]),
            VatId => (&["VAT no.", "VAT reg. no.", "Tax ID"], &["VAT number"]),
            BuyerVatId => (&["Customer VAT no."], &["Your VAT ID"]),
            Description => (&["Description", "Item"], &["Service"]),
            Qty => (&["Qty", "Quantity"], &["Units"]),
            UnitPrice => (&["Unit price", "Rate"], &["Price each"]),
            Amount => (&["Amount", "Line total"], &["Total"]),
            VatRate => (&["VAT", "Tax %"], &["Tax rate"]),
            Subtotal => (&["Subtotal"], &["Items total"]),
            Discount => (&["Discount"], &["Less discount"]),
            Net => (
                &["Net total", "Total excl. VAT", "Net amount"],
                &["Total before tax"],
            ),
            Vat => (&["VAT", "Tax", "Total VAT"], &["Sales tax"]),
            Gross => (
                &["Total", "Invoice total", "Total incl. VAT"],
                &["Grand total"],
            ),
            Prepaid => (&["Paid", "Less deposit"], &["Payments received"]),
            AmountDue => (&["Amount due", "Balance due", "Total due"], &["Please pay"]),
            Iban => (&["IBAN"], &["Account (IBAN)"]),
            Bic => (&["BIC", "SWIFT"], &["SWIFT code"]),
            Bank => (&["Bank details", "Payment details"], &["Remit to"]),
            Page => (&["Page"], &["Sheet"]),
            Continued => (&["Continued", "Carried forward"], &["cont."]),
            BillTo => (&["Bill to", "Invoice to"], &["Sold to"]),
            Terms => (
                &["Payment due within {d} days.", "Terms: net {d} days."],
                &["Please remit within {d} days."],
            ),
        },
    }
}

pub fn urgency_line(lang: &str, rng: &mut Rng) -> &'static str {
    match lang {
        "de" => *rng.pick(&[
            "DRINGEND: Bitte sofort überweisen!",
            "Dringend – Zahlung heute fällig",
        ]),
        "fr" => *rng.pick(&[
            "URGENT : paiement immédiat requis",
            "Urgent – dernier rappel, à régler aujourd'hui",
        ]),
        "nl" => *rng.pick(&[
            "DRINGEND: vandaag betalen a.u.b.",
            "Urgent – laatste herinnering",
        ]),
        "es" => *rng.pick(&["URGENTE: pago inmediato", "Urgente – último aviso"]),
        "it" => *rng.pick(&["URGENTE: pagamento immediato", "Urgente – ultimo avviso"]),
        _ => *rng.pick(&[
            "URGENT: payment due today",
            "FINAL NOTICE – pay immediately",
            "Overdue – urgent payment required",
        ]),
    }
}

/// Words the generator must keep out of clean documents so that urgency is only
/// present where planted.
pub const URGENCY_WORDS: [&str; 9] = [
    "urgent",
    "today",
    "overdue",
    "final notice",
    "dringend",
    "sofort",
    "urgente",
    "immediat",
    "immédiat",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        let de = NumFmt {
            group: Some('.'),
            decimal: ',',
        };
        assert_eq!(de.amount(123456), "1.234,56");
        assert_eq!(de.amount(-5), "-0,05");
        let en = NumFmt {
            group: Some(','),
            decimal: '.',
        };
        assert_eq!(en.amount(123456789), "1,234,567.89");
        assert_eq!(en.amount(99), "0.99");
        let ch = NumFmt {
            group: Some('\''),
            decimal: '.',
        };
        assert_eq!(ch.amount(123456), "1'234.56");
    }

    #[test]
    fn date_formats() {
        let d = Date::new(2026, 12, 31);
        assert_eq!(fmt_date(d, DateStyle::Dots, "de"), "31.12.2026");
        assert_eq!(fmt_date(d, DateStyle::LongDmy, "de"), "31. Dezember 2026");
        assert_eq!(fmt_date(d, DateStyle::AbbrDmy, "fr"), "31 déc. 2026");
        assert_eq!(fmt_date(d, DateStyle::LongMdy, "en"), "December 31, 2026");
        assert_eq!(fmt_date(d, DateStyle::SlashMdy, "en"), "12/31/2026");
        assert_eq!(
            fmt_date(d, DateStyle::LongDmy, "es"),
            "31 de diciembre de 2026"
        );
    }
}
