//! The generic text-layer extractor: label dictionaries in six languages, span
//! positions for "value to the right" / "value below", pattern scanners for IBANs
//! and VAT ids, and arithmetic to pick the totals. No per-vendor knowledge.
use crate::num::{
    DateOrder, FoundAmount, ISO_CODES, Num, date_order_of, decimal_separator_of, find_amounts,
    find_date, find_dates, fold, parse_quantity,
};
use crate::{Acc, empty_invoice};
use papyr_sdk::checks::{bic_is_valid, iban_is_valid, iban_length, normalize_iban};
use papyr_sdk::types::{DocumentKind, FieldSource, LineItem, Money, ParsedDocument, TaxLine};
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum F {
    InvoiceNumber,
    IssueDate,
    DueDate,
    Net,
    Tax,
    Gross,
    Due,
    Prepaid,
    Customer,
    Vendor,
    Po,
    Iban,
    Bic,
    VatId,
    CustomerVat,
    TaxNo,
    /// "Carried forward" lines of a table split over pages.
    Carry,
    Terms,
    Currency,
    /// Labels that must win over a shorter label inside them ("delivery date").
    Ignore,
    /// A discount or surcharge line between the subtotal and the net total: not a
    /// total itself, but it ends the value region of the label before it.
    Discount,
}

/// (field, folded label, weak). A weak label is a bare word ("Date", "Invoice")
/// that only counts with a value on the same line and yields lower confidence.
const LABELS: &[(F, &str, bool)] = &[
    // invoice number
    (F::InvoiceNumber, "invoice number", false),
    (F::InvoiceNumber, "invoice no", false),
    (F::InvoiceNumber, "invoice nr", false),
    (F::InvoiceNumber, "invoice #", false),
    (F::InvoiceNumber, "invoice id", false),
    (F::InvoiceNumber, "inv no", false),
    (F::InvoiceNumber, "inv #", false),
    (F::InvoiceNumber, "invoice", true),
    (F::InvoiceNumber, "credit note number", false),
    (F::InvoiceNumber, "credit note no", false),
    (F::InvoiceNumber, "credit note", true),
    (F::InvoiceNumber, "document number", false),
    (F::InvoiceNumber, "document no", false),
    (F::InvoiceNumber, "rechnungsnummer", false),
    (F::InvoiceNumber, "rechnungs-nr", false),
    (F::InvoiceNumber, "rechnungsnr", false),
    (F::InvoiceNumber, "rechnung nr", false),
    (F::InvoiceNumber, "rechnung-nr", false),
    (F::InvoiceNumber, "re-nr", false),
    (F::InvoiceNumber, "rechnung", true),
    (F::InvoiceNumber, "gutschriftsnummer", false),
    (F::InvoiceNumber, "gutschriftnummer", false),
    (F::InvoiceNumber, "gutschrift nr", false),
    (F::InvoiceNumber, "gutschrift", true),
    (F::InvoiceNumber, "belegnummer", false),
    (F::InvoiceNumber, "beleg-nr", false),
    (F::InvoiceNumber, "n° de facture", false),
    (F::InvoiceNumber, "no de facture", false),
    (F::InvoiceNumber, "numero de facture", false),
    (F::InvoiceNumber, "facture n°", false),
    (F::InvoiceNumber, "facture no", false),
    (F::InvoiceNumber, "facture numero", false),
    (F::InvoiceNumber, "facture", true),
    (F::InvoiceNumber, "avoir n°", false),
    (F::InvoiceNumber, "numero d'avoir", false),
    (F::InvoiceNumber, "avoir", true),
    (F::InvoiceNumber, "factuurnummer", false),
    (F::InvoiceNumber, "factuurnr", false),
    (F::InvoiceNumber, "factuur nr", false),
    (F::InvoiceNumber, "factuur nummer", false),
    (F::InvoiceNumber, "factuur", true),
    (F::InvoiceNumber, "creditnotanummer", false),
    (F::InvoiceNumber, "creditnota", true),
    (F::InvoiceNumber, "numero de factura", false),
    (F::InvoiceNumber, "n° de factura", false),
    (F::InvoiceNumber, "no de factura", false),
    (F::InvoiceNumber, "n° factura", false),
    (F::InvoiceNumber, "factura n°", false),
    (F::InvoiceNumber, "factura no", false),
    (F::InvoiceNumber, "factura n.°", false),
    (F::InvoiceNumber, "n.° factura", false),
    (F::InvoiceNumber, "n.° de factura", false),
    (F::InvoiceNumber, "factura", true),
    (F::InvoiceNumber, "numero fattura", false),
    (F::InvoiceNumber, "n. fattura", false),
    (F::InvoiceNumber, "n° fattura", false),
    (F::InvoiceNumber, "fattura n", false),
    (F::InvoiceNumber, "fattura nr", false),
    (F::InvoiceNumber, "fattura numero", false),
    (F::InvoiceNumber, "fattura", true),
    (F::InvoiceNumber, "nota di credito n", false),
    (F::InvoiceNumber, "nota di credito", true),
    (F::InvoiceNumber, "numero nota", false),
    (F::InvoiceNumber, "nota n", false),
    (F::InvoiceNumber, "factura rectificativa", true),
    (F::InvoiceNumber, "factura rectificativa n", false),
    (F::InvoiceNumber, "nota de credito", true),
    (F::InvoiceNumber, "numero de abono", false),
    (F::InvoiceNumber, "abono", true),
    (F::InvoiceNumber, "nr", true),
    (F::InvoiceNumber, "nr.", true),
    (F::InvoiceNumber, "no.", true),
    (F::InvoiceNumber, "n°", true),
    (F::InvoiceNumber, "num.", true),
    (F::InvoiceNumber, "invoice no.", false),
    (F::InvoiceNumber, "invoice ref", false),
    (F::InvoiceNumber, "invoice reference", false),
    (F::InvoiceNumber, "inv. no", false),
    (F::InvoiceNumber, "inv no.", false),
    (F::InvoiceNumber, "inv. #", false),
    (F::InvoiceNumber, "bill no", false),
    (F::InvoiceNumber, "bill number", false),
    (F::InvoiceNumber, "invoice code", false),
    (F::InvoiceNumber, "invoice num", false),
    (F::InvoiceNumber, "doc no", false),
    (F::InvoiceNumber, "doc. no", false),
    (F::InvoiceNumber, "document #", false),
    (F::InvoiceNumber, "document id", false),
    (F::InvoiceNumber, "rg.-nr", false),
    (F::InvoiceNumber, "rg-nr", false),
    (F::InvoiceNumber, "rg. nr", false),
    (F::InvoiceNumber, "rg nr", false),
    (F::InvoiceNumber, "re.-nr", false),
    (F::InvoiceNumber, "rech.-nr", false),
    (F::InvoiceNumber, "rechnungs nr", false),
    (F::InvoiceNumber, "rechnung nummer", false),
    (F::InvoiceNumber, "rechnungs-nummer", false),
    (F::InvoiceNumber, "beleg nr", false),
    (F::InvoiceNumber, "dokumentnummer", false),
    (F::InvoiceNumber, "dokument-nr", false),
    (F::InvoiceNumber, "gutschrift-nr", false),
    (F::InvoiceNumber, "facture n", false),
    (F::InvoiceNumber, "n° facture", false),
    (F::InvoiceNumber, "numero facture", false),
    (F::InvoiceNumber, "ref. facture", false),
    (F::InvoiceNumber, "reference facture", false),
    (F::InvoiceNumber, "reference de facture", false),
    (F::InvoiceNumber, "n° de document", false),
    (F::InvoiceNumber, "numero de document", false),
    (F::InvoiceNumber, "no facture", false),
    (F::InvoiceNumber, "facture #", false),
    (F::InvoiceNumber, "avoir n", false),
    (F::InvoiceNumber, "n° avoir", false),
    (F::InvoiceNumber, "numero avoir", false),
    (F::InvoiceNumber, "factuur no", false),
    (F::InvoiceNumber, "factuur #", false),
    (F::InvoiceNumber, "factuurnr.", false),
    (F::InvoiceNumber, "documentnummer", false),
    (F::InvoiceNumber, "factuurreferentie", false),
    (F::InvoiceNumber, "creditnota nr", false),
    (F::InvoiceNumber, "creditnotanr", false),
    (F::InvoiceNumber, "factura n", false),
    (F::InvoiceNumber, "factura #", false),
    (F::InvoiceNumber, "num. factura", false),
    (F::InvoiceNumber, "num factura", false),
    (F::InvoiceNumber, "n° de la factura", false),
    (F::InvoiceNumber, "numero de la factura", false),
    (F::InvoiceNumber, "numero de documento", false),
    (F::InvoiceNumber, "serie y numero", false),
    (F::InvoiceNumber, "referencia factura", false),
    (F::InvoiceNumber, "factura num", false),
    (F::InvoiceNumber, "n° abono", false),
    (F::InvoiceNumber, "num. fattura", false),
    (F::InvoiceNumber, "nr. fattura", false),
    (F::InvoiceNumber, "nr fattura", false),
    (F::InvoiceNumber, "n.ro fattura", false),
    (F::InvoiceNumber, "fattura n.", false),
    (F::InvoiceNumber, "fattura nr.", false),
    (F::InvoiceNumber, "numero documento", false),
    (F::InvoiceNumber, "n. documento", false),
    (F::InvoiceNumber, "documento n", false),
    (F::InvoiceNumber, "rif. fattura", false),
    (F::InvoiceNumber, "numero della fattura", false),
    (F::InvoiceNumber, "nota di credito nr", false),
    (F::InvoiceNumber, "nota credito n", false),
    (F::InvoiceNumber, "reference", true),
    (F::InvoiceNumber, "ref", true),
    (F::InvoiceNumber, "number", true),
    (F::InvoiceNumber, "nummer", true),
    (F::InvoiceNumber, "numero", true),
    (F::InvoiceNumber, "referencia", true),
    (F::InvoiceNumber, "referentie", true),
    (F::InvoiceNumber, "riferimento", true),
    (F::InvoiceNumber, "nota de credito n", false),
    // A generic reference with a number word: weaker than any invoice label, but
    // one label (a column heading), not two.
    (F::InvoiceNumber, "reference no", true),
    (F::InvoiceNumber, "reference no.", true),
    (F::InvoiceNumber, "reference number", true),
    (F::InvoiceNumber, "reference #", true),
    (F::InvoiceNumber, "ref. no.", true),
    (F::InvoiceNumber, "ref. no", true),
    (F::InvoiceNumber, "ref no", true),
    (F::InvoiceNumber, "ref no.", true),
    (F::InvoiceNumber, "ref #", true),
    (F::InvoiceNumber, "ref.", true),
    (F::InvoiceNumber, "our ref", true),
    (F::InvoiceNumber, "our ref.", true),
    (F::InvoiceNumber, "our reference", true),
    (F::InvoiceNumber, "unsere referenz", true),
    (F::InvoiceNumber, "unser zeichen", true),
    (F::InvoiceNumber, "notre reference", true),
    (F::InvoiceNumber, "notre ref.", true),
    (F::InvoiceNumber, "onze referentie", true),
    (F::InvoiceNumber, "ons kenmerk", true),
    (F::InvoiceNumber, "nuestra referencia", true),
    (F::InvoiceNumber, "ns. ref.", true),
    (F::InvoiceNumber, "ns. riferimento", true),
    (F::InvoiceNumber, "nostro riferimento", true),
    (F::InvoiceNumber, "document", true),
    (F::InvoiceNumber, "documento", true),
    (F::InvoiceNumber, "beleg", true),
    // Document titles: they carry the number when one follows on the line.
    (F::InvoiceNumber, "rechnungskorrektur", true),
    (F::InvoiceNumber, "korrekturrechnung", true),
    (F::InvoiceNumber, "stornorechnung", true),
    (F::InvoiceNumber, "abschlagsrechnung", true),
    (F::InvoiceNumber, "teilrechnung", true),
    (F::InvoiceNumber, "schlussrechnung", true),
    (F::InvoiceNumber, "sammelrechnung", true),
    (F::InvoiceNumber, "proforma-rechnung", true),
    (F::InvoiceNumber, "gutschriftsanzeige", true),
    (F::InvoiceNumber, "proforma invoice", true),
    (F::InvoiceNumber, "pro forma invoice", true),
    (F::InvoiceNumber, "commercial invoice", true),
    (F::InvoiceNumber, "sales invoice", true),
    (F::InvoiceNumber, "vat invoice", true),
    (F::InvoiceNumber, "credit memo", true),
    (F::InvoiceNumber, "debit note", true),
    (F::InvoiceNumber, "facture d'acompte", true),
    (F::InvoiceNumber, "facture rectificative", true),
    (F::InvoiceNumber, "facture proforma", true),
    (F::InvoiceNumber, "note de credit", true),
    (F::InvoiceNumber, "creditfactuur", true),
    (F::InvoiceNumber, "verkoopfactuur", true),
    (F::InvoiceNumber, "nota", true),
    (F::InvoiceNumber, "factura simplificada", true),
    (F::InvoiceNumber, "factura proforma", true),
    (F::InvoiceNumber, "nota de abono", true),
    (F::InvoiceNumber, "fattura elettronica", true),
    (F::InvoiceNumber, "fattura differita", true),
    (F::InvoiceNumber, "fattura immediata", true),
    (F::InvoiceNumber, "fattura accompagnatoria", true),
    (F::InvoiceNumber, "nota di accredito", true),
    // issue date
    // due date wordings seen on real invoices
    (F::DueDate, "maturity date", false),
    (F::DueDate, "settlement date", false),
    (F::DueDate, "balance due by", false),
    (F::DueDate, "zahlbar ohne abzug bis", false),
    (F::DueDate, "zahlbar ohne abzug am", false),
    (F::DueDate, "fallig zum", false),
    (F::DueDate, "zahlbar zum", false),
    (F::DueDate, "zahlung bis zum", false),
    (F::DueDate, "reglement avant le", false),
    (F::DueDate, "a payer au plus tard le", false),
    (F::DueDate, "paiement au plus tard le", false),
    (F::DueDate, "au plus tard le", false),
    (F::DueDate, "date de reglement", false),
    (F::DueDate, "date limite de reglement", false),
    (F::DueDate, "betaling voor", false),
    (F::DueDate, "te betalen uiterlijk", false),
    (F::DueDate, "uiterlijk te betalen op", false),
    (F::DueDate, "uiterlijk betalen voor", false),
    (F::DueDate, "gelieve te betalen voor", false),
    (F::DueDate, "pagar antes del", false),
    (F::DueDate, "fecha limite", false),
    (F::DueDate, "vencimiento el", false),
    (F::DueDate, "da pagare entro il", false),
    (F::DueDate, "pagamento entro il", false),
    (F::DueDate, "scadenza il", false),
    (F::IssueDate, "invoice date", false),
    (F::IssueDate, "date of invoice", false),
    (F::IssueDate, "issue date", false),
    (F::IssueDate, "date of issue", false),
    (F::IssueDate, "date issued", false),
    (F::IssueDate, "billing date", false),
    (F::IssueDate, "date", true),
    (F::IssueDate, "rechnungsdatum", false),
    (F::IssueDate, "ausstellungsdatum", false),
    (F::IssueDate, "belegdatum", false),
    (F::IssueDate, "datum", true),
    (F::IssueDate, "date de facture", false),
    (F::IssueDate, "date de facturation", false),
    (F::IssueDate, "date d'emission", false),
    (F::IssueDate, "factuurdatum", false),
    (F::IssueDate, "fecha de factura", false),
    (F::IssueDate, "fecha de emision", false),
    (F::IssueDate, "fecha factura", false),
    (F::IssueDate, "fecha", true),
    (F::IssueDate, "data fattura", false),
    (F::IssueDate, "data di emissione", false),
    (F::IssueDate, "data documento", false),
    (F::IssueDate, "data emissione", false),
    (F::IssueDate, "invoice dated", false),
    (F::IssueDate, "dated", false),
    (F::IssueDate, "tax point", false),
    (F::IssueDate, "tax point date", false),
    (F::IssueDate, "document date", false),
    (F::IssueDate, "date of the invoice", false),
    (F::IssueDate, "rechnungs-datum", false),
    (F::IssueDate, "datum der rechnung", false),
    (F::IssueDate, "rechnungstag", false),
    (F::IssueDate, "dokumentdatum", false),
    (F::IssueDate, "erstellt am", false),
    (F::IssueDate, "ausgestellt am", false),
    (F::IssueDate, "date facture", false),
    (F::IssueDate, "date d'emission de la facture", false),
    (F::IssueDate, "emise le", false),
    (F::IssueDate, "date du document", false),
    (F::IssueDate, "date de l'avoir", false),
    (F::IssueDate, "factuur datum", false),
    (F::IssueDate, "datum factuur", false),
    (F::IssueDate, "factuurdatum:", false),
    (F::IssueDate, "documentdatum", false),
    (F::IssueDate, "uitgiftedatum", false),
    (F::IssueDate, "fecha de expedicion", false),
    (F::IssueDate, "fecha expedicion", false),
    (F::IssueDate, "fecha emision", false),
    (F::IssueDate, "fecha del documento", false),
    (F::IssueDate, "fecha de la factura", false),
    (F::IssueDate, "data del documento", false),
    (F::IssueDate, "data della fattura", false),
    (F::IssueDate, "emessa il", false),
    (F::IssueDate, "data doc", false),
    (F::IssueDate, "data", true),
    (F::IssueDate, "vom", true),
    (F::IssueDate, "du", true),
    // dates that are not the issue date
    (F::Ignore, "delivery date", false),
    (F::Ignore, "order date", false),
    (F::Ignore, "service date", false),
    (F::Ignore, "date of supply", false),
    (F::Ignore, "service period", false),
    (F::Ignore, "lieferdatum", false),
    (F::Ignore, "leistungsdatum", false),
    (F::Ignore, "bestelldatum", false),
    (F::Ignore, "date de livraison", false),
    (F::Ignore, "date de commande", false),
    (F::Ignore, "leverdatum", false),
    (F::Ignore, "orderdatum", false),
    (F::Ignore, "fecha de entrega", false),
    (F::Ignore, "fecha de pedido", false),
    (F::Ignore, "data di consegna", false),
    (F::Ignore, "data ordine", false),
    (F::Ignore, "customer number", false),
    (F::Ignore, "customer no", false),
    (F::Ignore, "customer id", false),
    (F::Ignore, "kundennummer", false),
    (F::Ignore, "kunden-nr", false),
    (F::Ignore, "kundennr", false),
    (F::Ignore, "numero client", false),
    (F::Ignore, "n° client", false),
    (F::Ignore, "klantnummer", false),
    (F::Ignore, "numero de cliente", false),
    (F::Ignore, "n° cliente", false),
    (F::Ignore, "codice cliente", false),
    (F::Ignore, "phone number", false),
    (F::Ignore, "telephone number", false),
    (F::Ignore, "telephone", false),
    (F::Ignore, "fax number", false),
    (F::Ignore, "mobile", false),
    (F::Ignore, "company number", false),
    (F::Ignore, "company registration", false),
    (F::Ignore, "registration number", false),
    (F::Ignore, "telefon", false),
    (F::Ignore, "telefonnummer", false),
    (F::Ignore, "telefono", false),
    (F::Ignore, "telefoon", false),
    (F::Ignore, "numero de telephone", false),
    (F::Ignore, "numero de telefono", false),
    (F::Ignore, "numero di telefono", false),
    (F::Ignore, "customer-id", false),
    (F::Ignore, "customer ref", false),
    (F::Ignore, "customer reference", false),
    (F::Ignore, "client id", false),
    (F::Ignore, "client no", false),
    (F::Ignore, "client number", false),
    (F::Ignore, "id client", false),
    (F::Ignore, "client n°", false),
    (F::Ignore, "kunden-id", false),
    (F::Ignore, "kunden id", false),
    (F::Ignore, "kundenreferenz", false),
    (F::Ignore, "klant-id", false),
    (F::Ignore, "klantnr", false),
    (F::Ignore, "klant nr", false),
    (F::Ignore, "cliente n", false),
    (F::Ignore, "id cliente", false),
    (F::Ignore, "n. cliente", false),
    (F::Ignore, "cod. cliente", false),
    (F::Ignore, "numero cliente", false),
    (F::Ignore, "n° de client", false),
    (F::Ignore, "reference client", false),
    (F::Ignore, "ref. client", false),
    (F::Ignore, "your customer number", false),
    (F::Ignore, "account id", false),
    (F::Ignore, "debtor no", false),
    (F::Ignore, "debitorennummer", false),
    (F::Ignore, "debiteurnummer", false),
    (F::Ignore, "page", false),
    (F::Ignore, "code client", false),
    (F::Ignore, "account", false),
    (F::Ignore, "account no", false),
    (F::Ignore, "account number", false),
    (F::InvoiceNumber, "tax invoice", true),
    (F::Ignore, "ship to", false),
    (F::Ignore, "deliver to", false),
    (F::Ignore, "lieferadresse", false),
    (F::Ignore, "adresse de livraison", false),
    (F::Ignore, "afleveradres", false),
    (F::Ignore, "direccion de entrega", false),
    (F::Ignore, "luogo di consegna", false),
    (F::Carry, "carried forward", false),
    (F::Carry, "brought forward", false),
    (F::Carry, "continued", false),
    (F::Carry, "ubertrag", false),
    (F::Carry, "fortsetzung", false),
    (F::Carry, "report", false),
    (F::Carry, "a reporter", false),
    (F::Carry, "reporte", false),
    (F::Carry, "suite", false),
    (F::Carry, "vervolg", false),
    (F::Carry, "transport", false),
    (F::Carry, "suma anterior", false),
    (F::Carry, "suma y sigue", false),
    (F::Carry, "riporto", false),
    (F::Carry, "segue", false),
    (F::Ignore, "seite", false),
    (F::Ignore, "pagina", false),
    (F::Ignore, "tel", false),
    (F::Ignore, "phone", false),
    (F::Ignore, "fax", false),
    (F::Ignore, "email", false),
    (F::Ignore, "e-mail", false),
    // due date
    (F::DueDate, "due date", false),
    (F::DueDate, "payment due", false),
    (F::DueDate, "date due", false),
    (F::DueDate, "due by", false),
    (F::DueDate, "due on", false),
    (F::DueDate, "pay by", false),
    (F::DueDate, "payable by", false),
    (F::DueDate, "payable until", false),
    (F::DueDate, "due", true),
    (F::DueDate, "fallig am", false),
    (F::DueDate, "falligkeitsdatum", false),
    (F::DueDate, "falligkeit", false),
    (F::DueDate, "fallig", false),
    (F::DueDate, "zahlbar bis", false),
    (F::DueDate, "zahlbar bis zum", false),
    (F::DueDate, "zahlungsziel", false),
    (F::DueDate, "date d'echeance", false),
    (F::DueDate, "echeance", false),
    (F::DueDate, "a payer avant le", false),
    (F::DueDate, "payable avant le", false),
    (F::DueDate, "a regler avant le", false),
    (F::DueDate, "vervaldatum", false),
    (F::DueDate, "vervaldag", false),
    (F::DueDate, "te betalen voor", false),
    (F::DueDate, "uiterste betaaldatum", false),
    (F::DueDate, "fecha de vencimiento", false),
    (F::DueDate, "vencimiento", false),
    (F::DueDate, "fecha vencimiento", false),
    (F::DueDate, "data di scadenza", false),
    (F::DueDate, "data scadenza", false),
    (F::DueDate, "scadenza pagamento", false),
    (F::DueDate, "scadenza", false),
    (F::DueDate, "payment due date", false),
    (F::DueDate, "payable on", false),
    (F::DueDate, "payment date", false),
    (F::DueDate, "pay before", false),
    (F::DueDate, "payment deadline", false),
    (F::DueDate, "to be paid by", false),
    (F::DueDate, "settle by", false),
    (F::DueDate, "please pay by", false),
    (F::DueDate, "due for payment", false),
    (F::DueDate, "payment due by", false),
    (F::DueDate, "due on or before", false),
    (F::DueDate, "zahlbar am", false),
    (F::DueDate, "fallig bis", false),
    (F::DueDate, "zahlungsfrist", false),
    (F::DueDate, "zahlungstermin", false),
    (F::DueDate, "falligkeitstermin", false),
    (F::DueDate, "spatestens am", false),
    (F::DueDate, "zahlung bis", false),
    (F::DueDate, "bitte zahlen bis", false),
    (F::DueDate, "zahlbar bis spatestens", false),
    (F::DueDate, "zu zahlen bis", false),
    (F::DueDate, "date limite de paiement", false),
    (F::DueDate, "date de paiement", false),
    (F::DueDate, "payable le", false),
    (F::DueDate, "echeance le", false),
    (F::DueDate, "a payer le", false),
    (F::DueDate, "date d'exigibilite", false),
    (F::DueDate, "exigible le", false),
    (F::DueDate, "paiement avant le", false),
    (F::DueDate, "a regler le", false),
    (F::DueDate, "a payer avant", false),
    (F::DueDate, "date limite de reglement", false),
    (F::DueDate, "date d'echeance de paiement", false),
    (F::DueDate, "betalen voor", false),
    (F::DueDate, "uiterlijk betalen op", false),
    (F::DueDate, "betaaldatum", false),
    (F::DueDate, "te voldoen voor", false),
    (F::DueDate, "uiterste betaaldag", false),
    (F::DueDate, "vervalt op", false),
    (F::DueDate, "betalen uiterlijk", false),
    (F::DueDate, "te betalen op", false),
    (F::DueDate, "fecha limite de pago", false),
    (F::DueDate, "fecha de pago", false),
    (F::DueDate, "pagar antes de", false),
    (F::DueDate, "vence", false),
    (F::DueDate, "vto.", false),
    (F::DueDate, "fecha vto", false),
    (F::DueDate, "a pagar antes del", false),
    (F::DueDate, "vence el", false),
    (F::DueDate, "fecha de vto", false),
    (F::DueDate, "pago antes del", false),
    (F::DueDate, "da pagare entro", false),
    (F::DueDate, "pagamento entro", false),
    (F::DueDate, "termine di pagamento", false),
    (F::DueDate, "data pagamento", false),
    (F::DueDate, "scad.", false),
    (F::DueDate, "scadenza fattura", false),
    (F::DueDate, "data di pagamento", false),
    (F::DueDate, "entro il", false),
    // net
    (F::Net, "subtotal", false),
    (F::Net, "sub-total", false),
    (F::Net, "sub total", false),
    (F::Net, "net amount", false),
    (F::Net, "net total", false),
    (F::Net, "total net", false),
    (F::Net, "total excl. vat", false),
    (F::Net, "total excl vat", false),
    (F::Net, "total excluding vat", false),
    (F::Net, "total before tax", false),
    (F::Net, "total (excl. vat)", false),
    (F::Net, "amount excl. vat", false),
    (F::Net, "total excl. tax", false),
    (F::Net, "nettobetrag", false),
    (F::Net, "netto", false),
    (F::Net, "summe netto", false),
    (F::Net, "nettosumme", false),
    (F::Net, "gesamt netto", false),
    (F::Net, "gesamtbetrag netto", false),
    (F::Net, "rechnungsbetrag netto", false),
    (F::Net, "zwischensumme", false),
    (F::Net, "warenwert", false),
    (F::Net, "total exkl. mwst", false),
    (F::Net, "total exkl mwst", false),
    (F::Net, "total ohne mwst", false),
    (F::Net, "total ht", false),
    (F::Net, "montant ht", false),
    (F::Net, "total hors taxes", false),
    (F::Net, "montant hors taxes", false),
    (F::Net, "sous-total", false),
    (F::Net, "sous total", false),
    (F::Net, "totaal excl. btw", false),
    (F::Net, "totaal excl btw", false),
    (F::Net, "totaal exclusief btw", false),
    (F::Net, "subtotaal", false),
    (F::Net, "subtotaal excl. btw", false),
    (F::Net, "bedrag excl. btw", false),
    (F::Net, "netto bedrag", false),
    (F::Net, "nettobedrag", false),
    (F::Net, "base imponible", false),
    (F::Net, "importe neto", false),
    (F::Net, "total sin iva", false),
    (F::Net, "total neto", false),
    (F::Net, "imponibile", false),
    (F::Net, "totale imponibile", false),
    (F::Net, "totale netto", false),
    (F::Net, "subtotale", false),
    (F::Net, "net value", false),
    (F::Net, "goods total", false),
    (F::Net, "amount excl. tax", false),
    (F::Net, "subtotal excl. vat", false),
    (F::Net, "taxable amount", false),
    (F::Net, "total net amount", false),
    (F::Net, "net amount total", false),
    (F::Net, "total excluding tax", false),
    (F::Net, "total before vat", false),
    (F::Net, "summe exkl. mwst", false),
    (F::Net, "netto gesamt", false),
    (F::Net, "zwischensumme netto", false),
    (F::Net, "nettobetrag gesamt", false),
    (F::Net, "betrag netto", false),
    (F::Net, "warenwert netto", false),
    (F::Net, "netto summe", false),
    (F::Net, "total h.t.", false),
    (F::Net, "montant h.t.", false),
    (F::Net, "base ht", false),
    (F::Net, "base hors taxe", false),
    (F::Net, "sous-total ht", false),
    (F::Net, "total hors tva", false),
    (F::Net, "montant net", false),
    (F::Net, "total net ht", false),
    (F::Net, "netto totaal", false),
    (F::Net, "totaal netto", false),
    (F::Net, "totaal excl.", false),
    (F::Net, "bedrag exclusief btw", false),
    (F::Net, "subtotaal excl btw", false),
    (F::Net, "nettototaal", false),
    (F::Net, "totaal exclusief", false),
    (F::Net, "base imponible total", false),
    (F::Net, "total base imponible", false),
    (F::Net, "subtotal sin iva", false),
    (F::Net, "importe sin iva", false),
    (F::Net, "total neto sin iva", false),
    (F::Net, "imponibile totale", false),
    (F::Net, "importo imponibile", false),
    (F::Net, "totale senza iva", false),
    (F::Net, "totale imponibile iva", false),
    // tax
    (F::Tax, "vat", false),
    (F::Tax, "tax", false),
    (F::Tax, "sales tax", false),
    (F::Tax, "total vat", false),
    (F::Tax, "vat amount", false),
    (F::Tax, "total tax", false),
    (F::Tax, "tax amount", false),
    (F::Tax, "plus vat", false),
    (F::Tax, "mwst", false),
    (F::Tax, "mwst.", false),
    (F::Tax, "zzgl. mwst", false),
    (F::Tax, "zzgl. ust", false),
    (F::Tax, "ust", false),
    (F::Tax, "ust.", false),
    (F::Tax, "umsatzsteuer", false),
    (F::Tax, "mehrwertsteuer", false),
    (F::Tax, "summe mwst", false),
    (F::Tax, "summe ust", false),
    (F::Tax, "tva", false),
    (F::Tax, "montant tva", false),
    (F::Tax, "total tva", false),
    (F::Tax, "btw", false),
    (F::Tax, "btw bedrag", false),
    (F::Tax, "btw-bedrag", false),
    (F::Tax, "totaal btw", false),
    (F::Tax, "iva", false),
    (F::Tax, "cuota iva", false),
    (F::Tax, "total iva", false),
    (F::Tax, "importe iva", false),
    (F::Tax, "totale iva", false),
    (F::Tax, "imposta", false),
    (F::Tax, "tax total", false),
    (F::Tax, "vat total", false),
    (F::Tax, "total tax amount", false),
    (F::Tax, "gst", false),
    (F::Tax, "tax (vat)", false),
    (F::Tax, "steuerbetrag", false),
    (F::Tax, "umsatzsteuerbetrag", false),
    (F::Tax, "mwst.-betrag", false),
    (F::Tax, "mwst-betrag", false),
    (F::Tax, "ust.-betrag", false),
    (F::Tax, "enthaltene mwst", false),
    (F::Tax, "zzgl. umsatzsteuer", false),
    (F::Tax, "summe umsatzsteuer", false),
    (F::Tax, "montant de la tva", false),
    (F::Tax, "total t.v.a.", false),
    (F::Tax, "t.v.a.", false),
    (F::Tax, "tva a", false),
    (F::Tax, "montant t.v.a.", false),
    (F::Tax, "btw totaal", false),
    (F::Tax, "totaal btw-bedrag", false),
    (F::Tax, "btw-bedrag totaal", false),
    (F::Tax, "cuota de iva", false),
    (F::Tax, "importe del iva", false),
    (F::Tax, "i.v.a.", false),
    (F::Tax, "iva total", false),
    (F::Tax, "importo iva", false),
    (F::Tax, "imposta iva", false),
    (F::Tax, "totale imposta", false),
    (F::Tax, "i.v.a", false),
    // gross
    (F::Gross, "total", false),
    (F::Gross, "grand total", false),
    (F::Gross, "invoice total", false),
    (F::Gross, "total amount", false),
    (F::Gross, "total incl. vat", false),
    (F::Gross, "total incl vat", false),
    (F::Gross, "total including vat", false),
    (F::Gross, "total (incl. vat)", false),
    (F::Gross, "gesamtbetrag", false),
    (F::Gross, "gesamtsumme", false),
    (F::Gross, "rechnungsbetrag", false),
    (F::Gross, "rechnungssumme", false),
    (F::Gross, "endbetrag", false),
    (F::Gross, "bruttobetrag", false),
    (F::Gross, "brutto", false),
    (F::Gross, "summe brutto", false),
    (F::Gross, "gesamt brutto", false),
    (F::Gross, "gesamtbetrag brutto", false),
    (F::Gross, "summe", false),
    (F::Gross, "gesamt", false),
    (F::Gross, "total ttc", false),
    (F::Gross, "montant ttc", false),
    (F::Gross, "montant total", false),
    (F::Gross, "total general", false),
    (F::Gross, "totaal", false),
    (F::Gross, "totaal incl. btw", false),
    (F::Gross, "totaal incl btw", false),
    (F::Gross, "totaal inclusief btw", false),
    (F::Gross, "totaalbedrag", false),
    (F::Gross, "total factura", false),
    (F::Gross, "importe total", false),
    (F::Gross, "total con iva", false),
    (F::Gross, "totale", false),
    (F::Gross, "totale fattura", false),
    (F::Gross, "totale documento", false),
    (F::Gross, "importo totale", false),
    (F::Gross, "total payable", false),
    (F::Gross, "amount total", false),
    (F::Gross, "gross amount", false),
    (F::Gross, "gross total", false),
    (F::Gross, "total gross", false),
    (F::Gross, "total incl. tax", false),
    (F::Gross, "total including tax", false),
    (F::Gross, "total (incl. tax)", false),
    (F::Gross, "total inc. vat", false),
    (F::Gross, "invoice amount", false),
    (F::Gross, "total value", false),
    (F::Gross, "total invoice amount", false),
    (F::Gross, "total amount incl. vat", false),
    (F::Gross, "gesamtbetrag inkl. mwst", false),
    (F::Gross, "brutto gesamt", false),
    (F::Gross, "rechnungsbetrag brutto", false),
    (F::Gross, "endsumme", false),
    (F::Gross, "gesamt inkl. mwst", false),
    (F::Gross, "summe inkl. mwst", false),
    (F::Gross, "gesamtpreis", false),
    (F::Gross, "rechnungsendbetrag", false),
    (F::Gross, "gesamtbetrag (brutto)", false),
    (F::Gross, "betrag brutto", false),
    (F::Gross, "montant total ttc", false),
    (F::Gross, "total t.t.c.", false),
    (F::Gross, "total general ttc", false),
    (F::Gross, "prix total", false),
    (F::Gross, "total facture", false),
    (F::Gross, "montant de la facture", false),
    (F::Gross, "total ttc a payer", false),
    (F::Gross, "montant ttc total", false),
    (F::Gross, "totaalbedrag incl. btw", false),
    (F::Gross, "eindtotaal", false),
    (F::Gross, "totaal bedrag", false),
    (F::Gross, "totaal incl.", false),
    (F::Gross, "factuurbedrag", false),
    (F::Gross, "totaal factuur", false),
    (F::Gross, "bruto totaal", false),
    (F::Gross, "total (iva incluido)", false),
    (F::Gross, "total iva incluido", false),
    (F::Gross, "importe bruto", false),
    (F::Gross, "total bruto", false),
    (F::Gross, "importe total factura", false),
    (F::Gross, "total importe", false),
    (F::Gross, "totale complessivo", false),
    (F::Gross, "totale lordo", false),
    (F::Gross, "totale generale", false),
    (F::Gross, "importo complessivo", false),
    (F::Gross, "totale iva inclusa", false),
    (F::Gross, "totale fattura iva inclusa", false),
    // amount due
    (F::Due, "amount due", false),
    (F::Due, "balance due", false),
    (F::Due, "total due", false),
    (F::Due, "amount payable", false),
    (F::Due, "please pay", false),
    (F::Due, "zu zahlen", false),
    (F::Due, "zahlbetrag", false),
    (F::Due, "offener betrag", false),
    (F::Due, "zu zahlender betrag", false),
    (F::Due, "restbetrag", false),
    (F::Due, "net a payer", false),
    (F::Due, "reste a payer", false),
    (F::Due, "montant a payer", false),
    (F::Due, "montant du", false),
    (F::Due, "te betalen", false),
    (F::Due, "openstaand bedrag", false),
    (F::Due, "totaal te betalen", false),
    (F::Due, "importe a pagar", false),
    (F::Due, "total a pagar", false),
    (F::Due, "totale da pagare", false),
    (F::Due, "importo da pagare", false),
    (F::Due, "netto a pagare", false),
    (F::Due, "total payable now", false),
    (F::Due, "amount to pay", false),
    (F::Due, "amount to be paid", false),
    (F::Due, "outstanding amount", false),
    (F::Due, "total amount due", false),
    (F::Due, "amount outstanding", false),
    (F::Due, "remaining balance", false),
    (F::Due, "zahlungsbetrag", false),
    (F::Due, "zu zahlender gesamtbetrag", false),
    (F::Due, "noch zu zahlen", false),
    (F::Due, "faelliger betrag", false),
    (F::Due, "falliger betrag", false),
    (F::Due, "total a payer", false),
    (F::Due, "net a payer ttc", false),
    (F::Due, "solde a payer", false),
    (F::Due, "solde du", false),
    (F::Due, "montant restant du", false),
    (F::Due, "te betalen bedrag", false),
    (F::Due, "nog te betalen", false),
    (F::Due, "totaal te voldoen", false),
    (F::Due, "saldo pendiente", false),
    (F::Due, "importe pendiente", false),
    (F::Due, "total adeudado", false),
    (F::Due, "saldo da pagare", false),
    (F::Due, "importo dovuto", false),
    (F::Due, "residuo da pagare", false),
    (F::Due, "totale dovuto", false),
    // prepaid
    // discounts and surcharges (bound the region of the label before them)
    (F::Discount, "discount", false),
    (F::Discount, "rabatt", false),
    (F::Discount, "nachlass", false),
    (F::Discount, "skonto", false),
    (F::Discount, "remise", false),
    (F::Discount, "rabais", false),
    (F::Discount, "korting", false),
    (F::Discount, "descuento", false),
    (F::Discount, "sconto", false),
    (F::Discount, "surcharge", false),
    (F::Discount, "shipping", false),
    (F::Discount, "versandkosten", false),
    (F::Discount, "frais de port", false),
    (F::Discount, "verzendkosten", false),
    (F::Discount, "gastos de envio", false),
    (F::Discount, "spese di spedizione", false),
    (F::Prepaid, "amount paid", false),
    (F::Prepaid, "already paid", false),
    (F::Prepaid, "prepaid", false),
    (F::Prepaid, "paid", true),
    (F::Prepaid, "deposit", false),
    (F::Prepaid, "bereits bezahlt", false),
    (F::Prepaid, "bereits gezahlt", false),
    (F::Prepaid, "anzahlung", false),
    (F::Prepaid, "geleistete anzahlung", false),
    (F::Prepaid, "acompte", false),
    (F::Prepaid, "deja paye", false),
    (F::Prepaid, "deja regle", false),
    (F::Prepaid, "acompte verse", false),
    (F::Prepaid, "reeds betaald", false),
    (F::Prepaid, "vooruitbetaald", false),
    (F::Prepaid, "aanbetaling", false),
    (F::Prepaid, "anticipo", false),
    (F::Prepaid, "ya pagado", false),
    (F::Prepaid, "gia pagato", false),
    (F::Prepaid, "acconto", false),
    // Further common wordings of an amount already paid.
    (F::Prepaid, "payment received", false),
    (F::Prepaid, "payments received", false),
    (F::Prepaid, "less payment", false),
    (F::Prepaid, "advance payment", false),
    (F::Prepaid, "down payment", false),
    (F::Prepaid, "vorauszahlung", false),
    (F::Prepaid, "abschlagszahlung", false),
    (F::Prepaid, "erhaltene anzahlung", false),
    (F::Prepaid, "avance", false),
    (F::Prepaid, "deja verse", false),
    (F::Prepaid, "voorschot", false),
    (F::Prepaid, "vooruitbetaling", false),
    (F::Prepaid, "entrega a cuenta", false),
    (F::Prepaid, "anticipo recibido", false),
    (F::Prepaid, "importe pagado", false),
    (F::Prepaid, "gia versato", false),
    (F::Prepaid, "acconto versato", false),
    (F::Prepaid, "anticipo ricevuto", false),
    // customer
    // bill-to wordings of real invoices
    (F::Customer, "bill-to party", false),
    (F::Customer, "customer details", false),
    (F::Customer, "customer information", false),
    (F::Customer, "client details", false),
    (F::Customer, "billing details", false),
    (F::Customer, "invoice recipient", false),
    (F::Customer, "sold-to", false),
    (F::Customer, "payer", false),
    (F::Customer, "kundenadresse", false),
    (F::Customer, "kundendaten", false),
    (F::Customer, "rechnungsempfaenger", false),
    (F::Customer, "empfaenger", false),
    (F::Customer, "leistungsempfaenger", false),
    (F::Customer, "zahlungspflichtiger", false),
    (F::Customer, "coordonnees client", false),
    (F::Customer, "informations client", false),
    (F::Customer, "donnees client", false),
    (F::Customer, "client facture", false),
    (F::Customer, "debiteur", false),
    (F::Customer, "opdrachtgever", false),
    (F::Customer, "ontvanger", false),
    (F::Customer, "geadresseerde", false),
    (F::Customer, "facturatieadres", false),
    (F::Customer, "factuur voor", false),
    (F::Customer, "klantgegevens:", false),
    (F::Customer, "direccion de facturacion", false),
    (F::Customer, "datos de facturacion", false),
    (F::Customer, "facturar a:", false),
    (F::Customer, "indirizzo di fatturazione", false),
    (F::Customer, "dati di fatturazione", false),
    (F::Customer, "fatturato a:", false),
    (F::Customer, "facturation", true),
    (F::Customer, "bill to", false),
    (F::Customer, "billed to", false),
    (F::Customer, "invoice to", false),
    (F::Customer, "invoiced to", false),
    (F::Customer, "sold to", false),
    (F::Customer, "customer", false),
    (F::Customer, "client", false),
    (F::Customer, "rechnungsempfanger", false),
    (F::Customer, "rechnungsadresse", false),
    (F::Customer, "kunde", false),
    (F::Customer, "an", true),
    (F::Customer, "aan", true),
    (F::Customer, "to", true),
    (F::Customer, "rechnung an", false),
    (F::Customer, "empfanger", false),
    (F::Customer, "facture a", false),
    (F::Customer, "adresse de facturation", false),
    (F::Customer, "destinataire", false),
    (F::Customer, "klant", false),
    (F::Customer, "factuuradres", false),
    (F::Customer, "gefactureerd aan", false),
    (F::Customer, "cliente", false),
    (F::Customer, "facturar a", false),
    (F::Customer, "facturado a", false),
    (F::Customer, "destinatario", false),
    (F::Customer, "intestatario", false),
    (F::Customer, "spett.le", false),
    (F::Customer, "buyer", false),
    (F::Customer, "recipient", false),
    (F::Customer, "invoice address", false),
    (F::Customer, "billing address", false),
    (F::Customer, "customer name", false),
    (F::Customer, "addressed to", false),
    (F::Customer, "bill-to", false),
    (F::Customer, "billed to:", false),
    (F::Customer, "purchaser", false),
    (F::Customer, "ship and bill to", false),
    (F::Customer, "auftraggeber", false),
    (F::Customer, "leistungsempfanger", false),
    (F::Customer, "rechnung an:", false),
    (F::Customer, "kaufer", false),
    (F::Customer, "kundin", false),
    (F::Customer, "empfangerin", false),
    (F::Customer, "rechnungsanschrift", false),
    (F::Customer, "facture a:", false),
    (F::Customer, "facture au nom de", false),
    (F::Customer, "adresse de facture", false),
    (F::Customer, "acheteur", false),
    (F::Customer, "a l'attention de", false),
    (F::Customer, "factured to", false),
    (F::Customer, "facturer a", false),
    (F::Customer, "afnemer", false),
    (F::Customer, "koper", false),
    (F::Customer, "factuur aan", false),
    (F::Customer, "ter attentie van", false),
    (F::Customer, "klantgegevens", false),
    (F::Customer, "gefactureerd aan:", false),
    (F::Customer, "comprador", false),
    (F::Customer, "datos del cliente", false),
    (F::Customer, "facturado a:", false),
    (F::Customer, "cliente:", false),
    (F::Customer, "adquiriente", false),
    (F::Customer, "committente", false),
    (F::Customer, "cessionario", false),
    (F::Customer, "intestato a", false),
    (F::Customer, "fatturare a", false),
    (F::Customer, "acquirente", false),
    (F::Customer, "dati cliente", false),
    (F::Customer, "cessionario/committente", false),
    (F::Customer, "fatturato a", false),
    // vendor
    (F::Vendor, "from", false),
    (F::Vendor, "seller", false),
    (F::Vendor, "supplier", false),
    (F::Vendor, "vendor", false),
    (F::Vendor, "verkaufer", false),
    (F::Vendor, "lieferant", false),
    (F::Vendor, "rechnungssteller", false),
    (F::Vendor, "fournisseur", false),
    (F::Vendor, "vendeur", false),
    (F::Vendor, "emetteur", false),
    (F::Vendor, "leverancier", false),
    (F::Vendor, "proveedor", false),
    (F::Vendor, "emisor", false),
    (F::Vendor, "fornitore", false),
    (F::Vendor, "cedente", false),
    // purchase order
    (F::Po, "po", false),
    (F::Po, "po number", false),
    (F::Po, "po no", false),
    (F::Po, "po #", false),
    (F::Po, "p.o.", false),
    (F::Po, "p.o. number", false),
    (F::Po, "purchase order", false),
    (F::Po, "purchase order number", false),
    (F::Po, "purchase order no", false),
    (F::Po, "order number", false),
    (F::Po, "order no", false),
    (F::Po, "your order", false),
    (F::Po, "bestellnummer", false),
    (F::Po, "bestell-nr", false),
    (F::Po, "bestellung", false),
    (F::Po, "ihre bestellung", false),
    (F::Po, "auftragsnummer", false),
    (F::Po, "auftrags-nr", false),
    (F::Po, "bon de commande", false),
    (F::Po, "commande n°", false),
    (F::Po, "n° de commande", false),
    (F::Po, "numero de commande", false),
    (F::Po, "votre commande", false),
    (F::Po, "inkoopordernummer", false),
    (F::Po, "inkooporder", false),
    (F::Po, "ordernummer", false),
    (F::Po, "bestelnummer", false),
    (F::Po, "pedido", false),
    (F::Po, "numero de pedido", false),
    (F::Po, "n° de pedido", false),
    (F::Po, "orden de compra", false),
    (F::Po, "ordine", false),
    (F::Po, "numero ordine", false),
    (F::Po, "ordine n", false),
    (F::Po, "ordine d'acquisto", false),
    (F::Po, "rif. ordine", false),
    (F::Po, "vs. ordine", false),
    (F::Po, "vostro ordine", false),
    (F::Po, "order ref", false),
    (F::Po, "order reference", false),
    (F::Po, "customer order", false),
    (F::Po, "your ref", false),
    (F::Po, "your reference", false),
    (F::Po, "p.o. no", false),
    (F::Po, "purchase order ref", false),
    (F::Po, "buyer reference", false),
    (F::Po, "order #", false),
    (F::Po, "po ref", false),
    (F::Po, "po reference", false),
    (F::Po, "purchase order #", false),
    (F::Po, "bestell-nr.", false),
    (F::Po, "ihre bestellnummer", false),
    (F::Po, "bestellreferenz", false),
    (F::Po, "ihr zeichen", false),
    (F::Po, "auftrag", false),
    (F::Po, "auftragsnr", false),
    (F::Po, "ihre referenz", false),
    (F::Po, "ihre bestell-nr", false),
    (F::Po, "bestellnr", false),
    (F::Po, "commande", false),
    (F::Po, "ref. commande", false),
    (F::Po, "reference commande", false),
    (F::Po, "bon de commande n°", false),
    (F::Po, "votre reference", false),
    (F::Po, "n° commande", false),
    (F::Po, "votre ref", false),
    (F::Po, "reference de commande", false),
    (F::Po, "bestelling", false),
    (F::Po, "bestelnr", false),
    (F::Po, "uw referentie", false),
    (F::Po, "uw bestelling", false),
    (F::Po, "ordernr", false),
    (F::Po, "inkoopnummer", false),
    (F::Po, "uw ordernummer", false),
    (F::Po, "inkoopordernr", false),
    (F::Po, "uw kenmerk", false),
    (F::Po, "pedido n", false),
    (F::Po, "n° pedido", false),
    (F::Po, "su pedido", false),
    (F::Po, "referencia pedido", false),
    (F::Po, "orden de compra n", false),
    (F::Po, "su referencia", false),
    (F::Po, "num. pedido", false),
    (F::Po, "referencia de pedido", false),
    (F::Po, "ordine n.", false),
    (F::Po, "ordine nr", false),
    (F::Po, "riferimento ordine", false),
    (F::Po, "numero d'ordine", false),
    (F::Po, "vostro riferimento", false),
    (F::Po, "rif. ordine n", false),
    (F::Po, "ordine di acquisto", false),
    (F::Po, "vs. rif", false),
    (F::Po, "n. ordine", false),
    // bank
    (F::Iban, "iban", false),
    (F::Bic, "bic", false),
    (F::Bic, "swift", false),
    (F::Bic, "bic/swift", false),
    (F::Bic, "swift/bic", false),
    (F::Bic, "swift code", false),
    (F::Bic, "bic code", false),
    (F::Bic, "swift-code", false),
    (F::Bic, "swift/bic code", false),
    (F::Bic, "bic-code", false),
    (F::Bic, "bank identifier code", false),
    (F::Bic, "code bic", false),
    (F::Bic, "bic swift", false),
    (F::Bic, "swift bic", false),
    (F::Bic, "code swift", false),
    (F::Bic, "codice bic", false),
    (F::Bic, "codice swift", false),
    (F::Bic, "codigo bic", false),
    (F::Bic, "codigo swift", false),
    (F::Bic, "bic/swift code", false),
    (F::Bic, "swift-bic", false),
    (F::Bic, "bic-swift", false),
    (F::Bic, "swift address", false),
    (F::Bic, "bic (swift)", false),
    (F::Bic, "swift (bic)", false),
    // VAT ids
    (F::VatId, "vat id", false),
    (F::VatId, "vat no", false),
    (F::VatId, "vat number", false),
    (F::VatId, "vat reg", false),
    (F::VatId, "vat reg. no", false),
    (F::VatId, "vat registration", false),
    (F::VatId, "vat registration number", false),
    (F::VatId, "tax id", false),
    (F::VatId, "ust-idnr", false),
    (F::VatId, "ust-id-nr", false),
    (F::VatId, "ust-id", false),
    (F::VatId, "ust.-id", false),
    (F::VatId, "ust.-idnr", false),
    (F::VatId, "ustid", false),
    (F::VatId, "ust-ident-nr", false),
    (F::VatId, "umsatzsteuer-id", false),
    (F::VatId, "umsatzsteuer-identifikationsnummer", false),
    (F::VatId, "tva intracom", false),
    (F::VatId, "tva intracommunautaire", false),
    (F::VatId, "n° tva", false),
    (F::VatId, "no tva", false),
    (F::VatId, "numero de tva", false),
    (F::VatId, "n° de tva", false),
    (F::VatId, "btw-nr", false),
    (F::VatId, "btw nr", false),
    (F::VatId, "btw-nummer", false),
    (F::VatId, "btw nummer", false),
    (F::VatId, "btw-id", false),
    (F::VatId, "btw id", false),
    (F::VatId, "nif", false),
    (F::VatId, "cif", false),
    (F::VatId, "nif/cif", false),
    (F::VatId, "cif/nif", false),
    (F::VatId, "vat reg no", false),
    (F::VatId, "vat-id", false),
    (F::VatId, "n.i.f", false),
    (F::VatId, "c.i.f", false),
    (F::VatId, "p.iva", false),
    (F::VatId, "p. iva", false),
    (F::VatId, "partita iva", false),
    (F::CustomerVat, "customer vat", false),
    (F::CustomerVat, "customer vat id", false),
    (F::CustomerVat, "your vat", false),
    (F::CustomerVat, "your vat id", false),
    (F::CustomerVat, "buyer vat", false),
    (F::CustomerVat, "ihre ust-idnr", false),
    (F::CustomerVat, "ihre ust-id", false),
    (F::CustomerVat, "ust-idnr. des kunden", false),
    (F::CustomerVat, "ust-id kunde", false),
    (F::CustomerVat, "tva client", false),
    (F::CustomerVat, "votre n° tva", false),
    (F::CustomerVat, "btw klant", false),
    (F::CustomerVat, "uw btw-nummer", false),
    (F::CustomerVat, "uw btw-nr", false),
    (F::CustomerVat, "customer vat no", false),
    (F::CustomerVat, "p. iva cliente", false),
    (F::CustomerVat, "votre tva", false),
    (F::CustomerVat, "cif cliente", false),
    (F::CustomerVat, "uw btw-nr", false),
    (F::CustomerVat, "nif cliente", false),
    (F::CustomerVat, "p.iva cliente", false),
    (F::TaxNo, "steuernummer", false),
    (F::TaxNo, "st.-nr", false),
    (F::TaxNo, "steuer-nr", false),
    (F::TaxNo, "codice fiscale", false),
    (F::TaxNo, "siret", false),
    (F::TaxNo, "kvk", false),
    // payment terms
    (F::Terms, "payment terms", false),
    (F::Terms, "terms", false),
    (F::Terms, "terms of payment", false),
    (F::Terms, "zahlungsbedingungen", false),
    (F::Terms, "zahlungsbedingung", false),
    (F::Terms, "conditions de paiement", false),
    (F::Terms, "conditions de reglement", false),
    (F::Terms, "betalingsvoorwaarden", false),
    (F::Terms, "betalingstermijn", false),
    (F::Terms, "condiciones de pago", false),
    (F::Terms, "forma de pago", false),
    (F::Terms, "condizioni di pagamento", false),
    (F::Terms, "termini di pagamento", false),
    (F::Terms, "modalita di pagamento", false),
    // currency
    (F::Currency, "currency", false),
    (F::Currency, "wahrung", false),
    (F::Currency, "devise", false),
    (F::Currency, "valuta", false),
    (F::Currency, "moneda", false),
    (F::Currency, "divisa", false),
];

/// Labels bucketed by first byte, longest first, built once.
type Label = (F, &'static str, bool);

fn label_index() -> &'static Vec<Vec<Label>> {
    static IDX: OnceLock<Vec<Vec<Label>>> = OnceLock::new();
    IDX.get_or_init(|| {
        let mut v: Vec<Vec<(F, &str, bool)>> = vec![Vec::new(); 256];
        for &(f, l, w) in LABELS {
            v[l.as_bytes()[0] as usize].push((f, l, w));
        }
        for b in &mut v {
            b.sort_by_key(|(_, l, _)| std::cmp::Reverse(l.len()));
        }
        v
    })
}

/// A piece of a line with its horizontal extent: a span, or part of a span split
/// at a wide gap (two spaces).
#[derive(Debug, Clone)]
pub struct Cell {
    pub start: usize,
    pub end: usize,
    pub x0: f32,
    pub x1: f32,
    pub size: f32,
}

#[derive(Debug, Clone)]
pub struct Hit {
    pub f: F,
    pub weak: bool,
    /// Byte range in the original line text.
    pub start: usize,
    pub end: usize,
}

pub struct Ln<'a> {
    pub page: u32,
    pub line: u32,
    pub y: f32,
    pub page_height: f32,
    pub text: &'a str,
    pub cells: Vec<Cell>,
    pub hits: Vec<Hit>,
}

impl<'a> Ln<'a> {
    fn new(page: &'a papyr_sdk::types::Page, l: &'a papyr_sdk::types::TextLine) -> Ln<'a> {
        let text = l.text.as_str();
        let mut cells = Vec::new();
        let mut cursor = 0;
        for s in &l.spans {
            let t = s.text.as_str();
            if t.trim().is_empty() {
                continue;
            }
            let Some(pos) = text[cursor..].find(t).map(|p| p + cursor) else {
                continue;
            };
            cursor = pos + t.len();
            split_cell(
                text,
                pos,
                pos + t.len(),
                s.x,
                s.x + s.width.max(1.0),
                s.size,
                &mut cells,
            );
        }
        // Word-by-word spans one space apart and close together are one phrase
        // ("Unit" "Price"); the parse stage marks column gaps with two spaces.
        let mut merged: Vec<Cell> = Vec::with_capacity(cells.len());
        for c in cells {
            match merged.last_mut() {
                Some(p)
                    if text.get(p.end..c.start) == Some(" ")
                        && c.x0 - p.x1 < c.size.max(p.size).max(4.0) * 1.2 =>
                {
                    p.end = c.end;
                    p.x1 = c.x1;
                    p.size = p.size.max(c.size);
                }
                _ => merged.push(c),
            }
        }
        let mut cells = merged;
        if cells.is_empty() && !text.trim().is_empty() {
            // No usable spans: approximate positions from character offsets.
            let n = text.chars().count().max(1) as f32;
            split_cell(text, 0, text.len(), 0.0, n * 5.0, 10.0, &mut cells);
        }
        let hits = find_labels(text);
        Ln {
            page: l.page.max(page.number),
            line: l.line,
            y: l.y,
            page_height: page.height,
            text,
            cells,
            hits,
        }
    }

    /// The cell containing byte `at`.
    fn cell_at(&self, at: usize) -> Option<&Cell> {
        self.cells
            .iter()
            .find(|c| c.start <= at && at < c.end.max(c.start + 1))
    }

    /// Text right of a label up to the next label on the line.
    fn right_of(&self, h: &Hit) -> &'a str {
        let end = self
            .hits
            .iter()
            .filter(|o| o.start >= h.end)
            .map(|o| o.start)
            .min()
            .unwrap_or(self.text.len());
        self.text[h.end..end]
            .trim_start_matches(|c: char| {
                c.is_whitespace()
                    || matches!(c, ':' | '#' | '.' | '°' | 'º' | '-' | '–' | '/' | '=')
            })
            .trim_end()
    }

    fn cell_text(&self, c: &Cell) -> &'a str {
        self.text[c.start..c.end].trim()
    }
}

/// Add the cell `[start, end)` of `text`, split at runs of two or more spaces with
/// x positions shared out by character count.
fn split_cell(
    text: &str,
    start: usize,
    end: usize,
    x0: f32,
    x1: f32,
    size: f32,
    out: &mut Vec<Cell>,
) {
    let seg = &text[start..end];
    let total = seg.chars().count().max(1) as f32;
    let per = (x1 - x0) / total;
    let mut pieces: Vec<(usize, usize)> = Vec::new();
    let mut piece_start: Option<usize> = None;
    let mut spaces = 0;
    let mut last_non_space = 0;
    for (i, c) in seg.char_indices() {
        if c == ' ' || c == '\u{a0}' && spaces > 0 {
            spaces += 1;
            if spaces == 2
                && let Some(ps) = piece_start.take()
            {
                pieces.push((ps, last_non_space));
            }
        } else {
            if piece_start.is_none() {
                piece_start = Some(i);
            }
            spaces = 0;
            last_non_space = i + c.len_utf8();
        }
    }
    if let Some(ps) = piece_start {
        pieces.push((ps, last_non_space));
    }
    for (a, b) in pieces {
        let ca = seg[..a].chars().count() as f32;
        let cb = seg[..b].chars().count() as f32;
        out.push(Cell {
            start: start + a,
            end: start + b,
            x0: x0 + ca * per,
            x1: x0 + cb * per,
            size,
        });
    }
}

/// Labels on a line, left to right, the longest label winning at each position.
pub fn find_labels(text: &str) -> Vec<Hit> {
    let (norm, map) = fold(text);
    let nb = norm.as_bytes();
    let idx = label_index();
    let mut out = Vec::new();
    let mut i = 0;
    while i < nb.len() {
        let word_start = i == 0 || !(nb[i - 1].is_ascii_alphanumeric() || nb[i - 1] >= 0x80);
        if word_start {
            let mut best: Option<(F, &str, bool)> = None;
            for &(f, l, w) in &idx[nb[i] as usize] {
                if norm[i..].starts_with(l) {
                    let after = nb.get(i + l.len());
                    let last = l.as_bytes()[l.len() - 1];
                    // `PO-7781` or `INV/12` is a value that starts like a label.
                    let glued = matches!(after, Some(b'-' | b'/'))
                        && nb
                            .get(i + l.len() + 1)
                            .is_some_and(|c| c.is_ascii_alphanumeric());
                    // A currency sign may touch the label (`Amount due£4,700.02`).
                    let next_char = norm[i + l.len()..].chars().next();
                    let boundary = !last.is_ascii_alphanumeric()
                        || next_char.is_none_or(|c| !c.is_alphanumeric()) && !glued;
                    if boundary {
                        best = Some((f, l, w));
                        break;
                    }
                }
            }
            // A composed invoice-number label ("RG-Nr.", "N° de facture") longer
            // than any listed label wins.
            let listed = best.map(|(f, l, w)| (f, l.len(), w));
            let best = match crate::lexicon::invoice_label_len(&norm[i..]) {
                Some(n) if listed.is_none_or(|(_, len, _)| n > len) => {
                    Some((F::InvoiceNumber, n, false))
                }
                _ => listed,
            };
            if let Some((f, len, w)) = best {
                out.push(Hit {
                    f,
                    weak: w,
                    start: map[i],
                    end: map[i + len],
                });
                i += len;
                continue;
            }
        }
        i += 1;
    }
    out
}

// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct AmountCand {
    f: F,
    num: Num,
    rate: Option<Num>,
    basis: Option<Num>,
    idx: usize,
}

struct Ctx<'a> {
    lines: Vec<Ln<'a>>,
    dec: Option<char>,
    order: DateOrder,
    lang: &'static str,
}

fn detect_lang(text: &str) -> &'static str {
    let (norm, _) = fold(text);
    let words: &[(&str, &[&str])] = &[
        (
            "en",
            &[
                "invoice",
                "total",
                "amount",
                "due",
                "bill to",
                "date",
                "quantity",
                "description",
            ],
        ),
        (
            "de",
            &[
                "rechnung", "betrag", "datum", "mwst", "ust", "summe", "netto", "menge", "gesamt",
            ],
        ),
        (
            "fr",
            &[
                "facture",
                "montant",
                "tva",
                "echeance",
                "ttc",
                "quantite",
                "designation",
                "total ht",
            ],
        ),
        (
            "nl",
            &[
                "factuur",
                "btw",
                "bedrag",
                "totaal",
                "vervaldatum",
                "aantal",
                "omschrijving",
            ],
        ),
        (
            "es",
            &[
                "factura",
                "fecha",
                "importe",
                "base imponible",
                "cantidad",
                "descripcion",
                "vencimiento",
            ],
        ),
        (
            "it",
            &[
                "fattura",
                "importo",
                "imponibile",
                "totale",
                "quantita",
                "descrizione",
                "scadenza",
            ],
        ),
    ];
    let mut best = ("en", 0usize);
    for (lang, ws) in words {
        let score: usize = ws.iter().map(|w| norm.matches(w).count()).sum();
        if score > best.1 {
            best = (lang, score);
        }
    }
    best.0
}

/// Extract every field the text layer offers.
pub fn extract(parsed: &ParsedDocument, kind: DocumentKind) -> Acc {
    let mut lines = Vec::new();
    for p in &parsed.pages {
        for l in &p.lines {
            lines.push(Ln::new(p, l));
        }
    }
    let all: String = lines.iter().map(|l| l.text).collect::<Vec<_>>().join("\n");
    let lang = detect_lang(&all);
    let dec = decimal_separator_of(&all);
    let usd_ish = all.contains('$') || all.contains("USD");
    let order = date_order_of(&all, lang == "en", usd_ish);
    let ctx = Ctx {
        lines,
        dec,
        order,
        lang,
    };
    let mut acc = Acc::new(empty_invoice(kind));

    let mut currency = currency(&ctx, &mut acc, &all);
    identifiers(&ctx, &mut acc);
    dates(&ctx, &mut acc);
    parties(&ctx, &mut acc);
    iban_bic(&ctx, &mut acc);
    if currency.is_none() {
        currency = currency_of_country(&mut acc, &all);
    }
    let table_rows = line_items(&ctx, &mut acc, currency.as_deref());
    // Without a currency there is no Money: totals stay unknown.
    if let Some(cur) = currency {
        totals(&ctx, &mut acc, &cur, &table_rows);
    }
    acc
}

/// The value of a label: right of it on the same line, else the cell below it.
fn value_for<'a>(
    ctx: &Ctx<'a>,
    li: usize,
    h: &Hit,
    accept: &dyn Fn(&str) -> bool,
) -> Option<(&'a str, usize)> {
    let ln = &ctx.lines[li];
    let right = ln.right_of(h);
    if !right.is_empty() && accept(right) {
        return Some((right, li));
    }
    if !right.is_empty() && right.len() > 2 {
        return None;
    }
    // A weak label ("Date", "An") counts below only when it stands alone in its
    // cell, like a column heading with the value underneath.
    if h.weak && !alone_in_cell(ln, h) {
        return None;
    }
    below(ctx, li, h).filter(|(t, _)| accept(t))
}

fn alone_in_cell(ln: &Ln, h: &Hit) -> bool {
    ln.cell_at(h.start).is_some_and(|c| {
        let rest = ln.text[c.start..c.end].replace(&ln.text[h.start..h.end], "");
        rest.trim_matches(|ch: char| ch.is_whitespace() || ch == ':' || ch == '.')
            .is_empty()
    })
}

/// The cell under a label (same column), on one of the next two lines.
fn below<'a>(ctx: &Ctx<'a>, li: usize, h: &Hit) -> Option<(&'a str, usize)> {
    let ln = &ctx.lines[li];
    let lc = ln.cell_at(h.start)?;
    // When the label is only part of its cell, use the label's own share of it.
    let (x0, x1) = (lc.x0 - 2.0, lc.x1 + 2.0);
    for nli in li + 1..(li + 3).min(ctx.lines.len()) {
        let n = &ctx.lines[nli];
        if n.page != ln.page {
            break;
        }
        let best = n
            .cells
            .iter()
            .filter(|c| c.x0 < x1 && c.x1 > x0)
            .max_by(|a, b| overlap(a, x0, x1).total_cmp(&overlap(b, x0, x1)));
        if let Some(c) = best {
            let t = n.cell_text(c);
            // A label under a label (a stacked block of labels) is not a value.
            if n.hits
                .iter()
                .any(|hh| hh.start <= c.start && hh.end > c.start && hh.f != F::Ignore)
            {
                return None;
            }
            return Some((t, nli));
        }
    }
    None
}

/// The label heading the column of byte `at` of line `li`: a header row ("Invoice
/// No.  Date  Customer VAT no.") with the values in the row under it. Only the
/// nearest row above with a cell in that column counts, and only a cell that is
/// a bare heading (a label with its own value beside it heads nothing).
fn heading_above(ctx: &Ctx, li: usize, at: usize) -> Option<F> {
    let ln = &ctx.lines[li];
    let vc = ln.cell_at(at)?;
    let (x0, x1) = (vc.x0 - 2.0, vc.x1 + 2.0);
    for k in (li.saturating_sub(2)..li).rev() {
        let up = &ctx.lines[k];
        if up.page != ln.page {
            return None;
        }
        let Some(c) = up
            .cells
            .iter()
            .filter(|c| c.x0 < x1 && c.x1 > x0)
            .max_by(|a, b| overlap(a, x0, x1).total_cmp(&overlap(b, x0, x1)))
        else {
            continue;
        };
        let h = up
            .hits
            .iter()
            .find(|h| h.start >= c.start && h.start < c.end && h.f != F::Ignore)?;
        return alone_in_cell(up, h).then_some(h.f);
    }
    None
}

fn overlap(c: &Cell, x0: f32, x1: f32) -> f32 {
    (c.x1.min(x1) - c.x0.max(x0)).max(0.0)
}

/// An identifier-like first token: has a digit, not a date, not an amount.
fn id_token(s: &str) -> Option<String> {
    for tok in s.split_whitespace().take(2) {
        let t = tok
            .trim_matches(|c: char| matches!(c, ',' | ';' | ':' | '(' | ')' | '.'))
            .trim_start_matches(['#', '№']);
        if t.len() >= 2
            && t.len() <= 40
            && t.chars().any(|c| c.is_ascii_digit())
            && t.chars()
                .all(|c| c.is_alphanumeric() || "-_/.#".contains(c))
        {
            return Some(strip_glued_date(t).to_string());
        }
    }
    None
}

/// An unlabelled purchase-order number that says what it is by its prefix
/// (`PO-465516`, `PO4711`): the first one in the document.
fn po_shaped(ctx: &Ctx) -> Option<(String, usize)> {
    for (li, ln) in ctx.lines.iter().enumerate() {
        for tok in ln.text.split_whitespace() {
            let t = tok.trim_matches(|c: char| matches!(c, ',' | ';' | ':' | '(' | ')' | '.'));
            let Some(rest) = t.strip_prefix("PO") else {
                continue;
            };
            let digits = rest.trim_start_matches(['-', '/', '_']);
            if digits.len() >= 3 && digits.bytes().all(|c| c.is_ascii_digit()) {
                return Some((t.to_string(), li));
            }
        }
    }
    None
}

/// An identifier with the next column's ISO date glued to it by the text layer
/// (`INV-2026-0011132026-08-13`): the identifier without the date.
fn strip_glued_date(t: &str) -> &str {
    let b = t.as_bytes();
    if b.len() >= 13 && t.is_ascii() {
        let (head, tail) = t.split_at(t.len() - 10);
        let tb = tail.as_bytes();
        let shape = tb[4] == b'-'
            && tb[7] == b'-'
            && tb
                .iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        let valid = shape
            && crate::num::make_date(
                tail[..4].parse().unwrap_or(0),
                tail[5..7].parse().unwrap_or(0),
                tail[8..].parse().unwrap_or(0),
            )
            .is_some();
        if valid && head.ends_with(|c: char| c.is_ascii_alphanumeric()) {
            return head;
        }
    }
    t
}

/// The value of a label that ends its line, printed to its right but on a
/// baseline just above or below (a value in a larger font, or a two-column block
/// whose columns have their own line pitch), so the text layer put it on the
/// neighbouring line.
fn beside_adjacent<'a>(ctx: &Ctx<'a>, li: usize, h: &Hit) -> Option<(&'a str, usize)> {
    let ln = &ctx.lines[li];
    if !ln.right_of(h).is_empty() || h.weak && !alone_in_cell(ln, h) {
        return None;
    }
    let lc = ln.cell_at(h.start)?;
    // Nothing else may stand right of the label on its own line.
    if ln.cells.iter().any(|o| o.x0 >= lc.x1) {
        return None;
    }
    let pitch = lc.size.max(8.0);
    for k in [li + 1, li.wrapping_sub(1)] {
        let Some(n) = ctx.lines.get(k) else {
            continue;
        };
        if n.page != ln.page || (n.y - ln.y).abs() > pitch {
            continue;
        }
        let Some(c) = n
            .cells
            .iter()
            .filter(|c| c.x0 >= lc.x1 - 1.0 && c.x0 <= lc.x1 + 250.0)
            .min_by(|a, b| a.x0.total_cmp(&b.x0))
        else {
            continue;
        };
        // The cell must not belong to a label of that line.
        if n.cells.iter().any(|o| o.x0 < c.x0 && o.x0 >= lc.x0 - 2.0)
            || n.hits.iter().any(|hh| hh.start < c.end && hh.end > c.start)
        {
            continue;
        }
        return Some((n.cell_text(c), k));
    }
    None
}

/// A document number printed without any label: a lone identifier-shaped cell in
/// the header part of page 1 that no label claims. Only a guess.
fn unlabelled_number(ctx: &Ctx) -> Option<(String, usize)> {
    for (li, ln) in ctx.lines.iter().enumerate() {
        if ln.page != 1 || ln.page_height > 0.0 && ln.y > ln.page_height * 0.45 {
            continue;
        }
        for (ci, c) in ln.cells.iter().enumerate() {
            let raw = ln.cell_text(c);
            let t = raw.trim_start_matches(['#', '№']).trim();
            if t.is_empty() || t.contains(char::is_whitespace) {
                continue;
            }
            // Claimed by a label in the cell, the cell before it, or a heading.
            let claimed = ln
                .hits
                .iter()
                .any(|h| h.start < c.end && (ci == 0 || h.end > ln.cells[ci - 1].start))
                || heading_above(ctx, li, c.start).is_some();
            if claimed || id_token(t).as_deref() != Some(t) {
                continue;
            }
            let digits = t.chars().filter(|c| c.is_ascii_digit()).count();
            let letters = t.chars().filter(|c| c.is_alphabetic()).count();
            let all_digits = digits == t.len();
            let bad_shape = digits < 4
                || all_digits && t.len() < 6
                || letters > 4
                || t.starts_with("PO")
                || find_date(t, ctx.order).is_some()
                || vat_shape_ok(&t.replace(['-', '.', ' '], ""))
                || iban_is_valid(t)
                || money_like(t);
            if !bad_shape {
                return Some((t.to_string(), li));
            }
        }
    }
    None
}

/// `1.234,56` / `1,234.56`: a number with two decimals is money, not a number.
fn money_like(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() >= 4
        && matches!(b[b.len() - 3], b'.' | b',')
        && b[b.len() - 2..].iter().all(u8::is_ascii_digit)
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '\''))
}

fn identifiers(ctx: &Ctx, acc: &mut Acc) {
    for (field, f) in [("invoice_number", F::InvoiceNumber), ("po_number", F::Po)] {
        // (value, line, confidence)
        let mut best: Option<(String, usize, f32)> = None;
        let accept =
            |t: &str| id_token(t).is_some() && find_date(t, ctx.order).is_none_or(|d| d.1 > 0);
        for (li, ln) in ctx.lines.iter().enumerate() {
            for h in ln.hits.iter().filter(|h| h.f == f) {
                let (got, conf) = match value_for(ctx, li, h, &accept) {
                    Some(v) => (Some(v), if h.weak { 0.6 } else { 0.85 }),
                    None => (
                        beside_adjacent(ctx, li, h).filter(|(t, _)| accept(t)),
                        if h.weak { 0.55 } else { 0.7 },
                    ),
                };
                if let Some((t, vli)) = got
                    && let Some(v) = id_token(t)
                {
                    // A strong label beats a weak one; the first strong one wins.
                    if best.as_ref().is_none_or(|b| b.2 < conf) {
                        best = Some((v, vli, conf));
                    }
                }
            }
        }
        if best.is_none() && f == F::InvoiceNumber {
            best = unlabelled_number(ctx).map(|(v, li)| (v, li, 0.45));
        }
        if let Some((v, li, conf)) = best {
            let ln = &ctx.lines[li];
            acc.ev(
                field,
                conf,
                FieldSource::TextLayer,
                ln.page,
                ln.line,
                ln.text,
            );
            match f {
                F::InvoiceNumber => acc.inv.invoice_number = Some(v),
                _ => acc.inv.po_number = Some(v),
            }
        }
    }
    if acc.inv.po_number.is_none()
        && let Some((v, li)) = po_shaped(ctx)
    {
        let ln = &ctx.lines[li];
        acc.ev(
            "po_number",
            0.5,
            FieldSource::TextLayer,
            ln.page,
            ln.line,
            ln.text,
        );
        acc.inv.po_number = Some(v);
    }
    // Payment terms: free text.
    for (li, ln) in ctx.lines.iter().enumerate() {
        if let Some(h) = ln.hits.iter().find(|h| h.f == F::Terms)
            && let Some((t, vli)) = value_for(ctx, li, h, &|t| {
                t.chars().filter(|c| c.is_alphanumeric()).count() >= 3
            })
        {
            let l = &ctx.lines[vli];
            acc.inv.payment_terms = Some(t.to_string());
            acc.ev(
                "payment_terms",
                0.7,
                FieldSource::TextLayer,
                l.page,
                l.line,
                l.text,
            );
            break;
        }
    }
}

fn dates(ctx: &Ctx, acc: &mut Acc) {
    let mut issue: Option<(papyr_sdk::types::Date, usize, bool)> = None;
    let mut due: Option<(papyr_sdk::types::Date, usize)> = None;
    let mut ambiguous: Vec<F> = Vec::new();
    for (li, ln) in ctx.lines.iter().enumerate() {
        for h in &ln.hits {
            if !matches!(h.f, F::IssueDate | F::DueDate) {
                continue;
            }
            let Some((t, vli)) = value_for(ctx, li, h, &|t| {
                find_date(t, ctx.order).is_some_and(|d| d.1 < 4)
            }) else {
                continue;
            };
            let all = find_dates(t, ctx.order);
            let Some(&(mut d, _, _)) = all.first() else {
                continue;
            };
            if all.len() > 1 && vli != li {
                // Cells of a header row glued into one value ("21 August 2026 20
                // September 2026"): the k-th label over the same cell takes the
                // k-th date.
                let k = ln
                    .hits
                    .iter()
                    .filter(|o| o.start < h.start)
                    .filter(|o| below(ctx, li, o).is_some_and(|(ot, ol)| ol == vli && ot == t))
                    .count();
                match all.get(k) {
                    Some(x) => d = x.0,
                    None => continue,
                }
                ambiguous.push(h.f);
            }
            if h.f == F::DueDate {
                if due.is_none() {
                    due = Some((d, vli));
                }
            } else if issue.as_ref().is_none_or(|i| i.2 && !h.weak) {
                issue = Some((d, vli, h.weak));
            }
        }
    }
    let sane = match (&issue, &due) {
        (Some(i), Some(d)) => papyr_sdk::days_from_civil(&d.0) >= papyr_sdk::days_from_civil(&i.0),
        _ => false,
    };
    if let Some((d, li, weak)) = issue {
        let ln = &ctx.lines[li];
        let c = if weak || ambiguous.contains(&F::IssueDate) {
            0.6
        } else if sane {
            0.92
        } else {
            0.85
        };
        acc.ev(
            "issue_date",
            c,
            FieldSource::TextLayer,
            ln.page,
            ln.line,
            ln.text,
        );
        acc.inv.issue_date = Some(d);
    }
    if let Some((d, li)) = due {
        let ln = &ctx.lines[li];
        acc.ev(
            "due_date",
            if ambiguous.contains(&F::DueDate) {
                0.6
            } else if sane {
                0.92
            } else {
                0.8
            },
            FieldSource::TextLayer,
            ln.page,
            ln.line,
            ln.text,
        );
        acc.inv.due_date = Some(d);
    }
    if acc.inv.issue_date.is_none() {
        // Unlabelled: the first date on page 1 is most often the issue date.
        for ln in ctx.lines.iter().filter(|l| l.page == 1) {
            if let Some((d, _, _)) = find_date(ln.text, ctx.order) {
                acc.ev(
                    "issue_date",
                    0.4,
                    FieldSource::TextLayer,
                    ln.page,
                    ln.line,
                    ln.text,
                );
                acc.inv.issue_date = Some(d);
                break;
            }
        }
    }
}

fn currency(ctx: &Ctx, acc: &mut Acc, all: &str) -> Option<String> {
    // Currencies attached to amounts on labelled total lines weigh most.
    let mut votes: Vec<(String, u32, usize)> = Vec::new();
    fn vote(votes: &mut Vec<(String, u32, usize)>, c: &str, w: u32, li: usize) {
        match votes.iter_mut().find(|v| v.0 == c) {
            Some(v) => v.1 += w,
            None => votes.push((c.to_string(), w, li)),
        }
    }
    for (li, ln) in ctx.lines.iter().enumerate() {
        let totals = ln
            .hits
            .iter()
            .any(|h| matches!(h.f, F::Net | F::Tax | F::Gross | F::Due));
        for a in find_amounts(ln.text, ctx.dec) {
            if let Some(c) = &a.currency {
                vote(&mut votes, c, if totals { 3 } else { 1 }, li);
            }
        }
        if let Some(h) = ln.hits.iter().find(|h| h.f == F::Currency) {
            let r = ln.right_of(h);
            if let Some(code) = ISO_CODES.iter().find(|c| r.starts_with(**c)) {
                vote(&mut votes, code, 5, li);
            }
        }
    }
    let mut conf = 0.9;
    if votes.is_empty() {
        for (li, ln) in ctx.lines.iter().enumerate() {
            for w in ln.text.split(|c: char| !c.is_ascii_alphabetic()) {
                if ISO_CODES.contains(&w) {
                    vote(&mut votes, w, 1, li);
                }
            }
        }
        conf = 0.7;
    }
    votes.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    let (mut code, li) = match votes.first() {
        Some(v) => (v.0.clone(), v.2),
        None => return None,
    };
    // `kr` alone defaults to SEK; a Danish or Norwegian IBAN says otherwise.
    if code == "SEK" && !all.contains("SEK") {
        if all.contains("DKK") || all.contains(" DK") && ctx.lang != "en" {
            code = "DKK".into();
        } else if all.contains("NOK") {
            code = "NOK".into();
        }
    }
    let ln = &ctx.lines[li];
    acc.ev(
        "currency",
        conf,
        FieldSource::TextLayer,
        ln.page,
        ln.line,
        ln.text,
    );
    acc.inv.currency = Some(code.clone());
    Some(code)
}

/// A US vendor without IBAN or VAT id: an EIN-shaped tax id (`12-3456789`) or
/// US bank transfer wording (ACH, routing number).
fn us_vendor(tax_id: Option<&str>, all: &str) -> bool {
    let ein = tax_id.is_some_and(|t| {
        let b = t.as_bytes();
        b.len() == 10
            && b[2] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 2 || c.is_ascii_digit())
    });
    let (norm, _) = fold(all);
    let bank = norm
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w == "ach" || w == "routing" || w == "aba");
    ein || bank
}

/// Amounts printed without any currency: the vendor's country (VAT prefix, else
/// IBAN country) names it when that country has one currency. Marked derived.
fn currency_of_country(acc: &mut Acc, all: &str) -> Option<String> {
    let country = acc
        .inv
        .vendor
        .country
        .clone()
        .or_else(|| {
            acc.inv
                .iban
                .as_deref()
                .map(normalize_iban)
                .and_then(|i| i.get(..2).map(str::to_string))
        })
        .or_else(|| us_vendor(acc.inv.vendor.tax_id.as_deref(), all).then(|| "US".into()))?;
    let code = match country.as_str() {
        "DE" | "AT" | "FR" | "NL" | "BE" | "LU" | "ES" | "IT" | "PT" | "IE" | "FI" | "GR"
        | "EL" | "SK" | "SI" | "EE" | "LV" | "LT" | "MT" | "CY" | "HR" | "MC" | "SM" => "EUR",
        "GB" => "GBP",
        "CH" | "LI" => "CHF",
        "SE" => "SEK",
        "DK" => "DKK",
        "NO" => "NOK",
        "PL" => "PLN",
        "CZ" => "CZK",
        "US" => "USD",
        _ => return None,
    };
    acc.ev(
        "currency",
        0.5,
        FieldSource::Derived,
        0,
        0,
        format!("vendor country {country}"),
    );
    acc.inv.currency = Some(code.to_string());
    Some(code.to_string())
}

// ---------------------------------------------------------------------------
// Parties and identifiers

const COMPANY_SUFFIXES: &[&str] = &[
    "gmbh",
    "ag",
    "kg",
    "ohg",
    "ug",
    "e.k.",
    "gbr",
    "mbh",
    "ltd",
    "ltd.",
    "limited",
    "plc",
    "inc",
    "inc.",
    "llc",
    "corp",
    "co.",
    "sarl",
    "sas",
    "sa",
    "s.a.",
    "eurl",
    "sasu",
    "b.v.",
    "bv",
    "n.v.",
    "nv",
    "vof",
    "s.l.",
    "sl",
    "s.l.u.",
    "s.r.l.",
    "srl",
    "s.p.a.",
    "spa",
    "s.a.s.",
    "snc",
    "gmbh & co. kg",
    "se",
    "oy",
    "ab",
    "as",
    "aps",
];

fn has_company_suffix(s: &str) -> bool {
    let (n, _) = fold(s);
    n.split(|c: char| c.is_whitespace() || c == ',')
        .any(|w| COMPANY_SUFFIXES.contains(&w))
}

/// Words that title a document rather than name a company.
fn is_title(s: &str) -> bool {
    let hits = find_labels(s);
    let (n, _) = fold(s);
    !hits.is_empty() && hits[0].start == 0
        || [
            "invoice",
            "rechnung",
            "facture",
            "factuur",
            "factura",
            "fattura",
            "credit note",
            "gutschrift",
            "avoir",
            "creditnota",
            "tax invoice",
        ]
        .iter()
        .any(|t| n.trim() == *t)
}

/// A single word that heads a block ("Bill", "Remit") when a layout splits a
/// label like "Bill to" over two spans: never a company name.
fn is_heading_word(s: &str) -> bool {
    let (n, _) = fold(s.trim().trim_end_matches(':'));
    matches!(
        n.as_str(),
        "bill"
            | "ship"
            | "sold"
            | "remit"
            | "deliver"
            | "pay"
            | "payment"
            | "from"
            | "to"
            | "details"
            | "summary"
            | "page"
            | "original"
            | "copy"
            | "duplicate"
    )
}

/// VAT id shapes by country (compact form, upper case).
fn vat_shape_ok(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() < 4 || !b[0].is_ascii_uppercase() || !b[1].is_ascii_uppercase() {
        return false;
    }
    let rest = &v[2..];
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|c| c.is_ascii_digit());
    let alnum = |s: &str| {
        s.bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };
    match &v[..2] {
        "DE" | "PT" | "EE" | "EL" | "GR" => digits(rest, 9),
        "AT" => rest.len() == 9 && rest.starts_with('U') && digits(&rest[1..], 8),
        "FR" => rest.len() == 11 && alnum(&rest[..2]) && digits(&rest[2..], 9),
        "NL" => {
            rest.len() == 12
                && digits(&rest[..9], 9)
                && &rest[9..10] == "B"
                && digits(&rest[10..], 2)
        }
        "BE" => digits(rest, 10) && (rest.starts_with('0') || rest.starts_with('1')),
        "ES" => rest.len() == 9 && alnum(rest) && rest[1..8].bytes().all(|c| c.is_ascii_digit()),
        "IT" | "LV" => digits(rest, 11),
        "LU" | "DK" | "FI" | "HU" | "MT" | "SI" => digits(rest, 8),
        "PL" | "SK" => digits(rest, 10),
        "SE" => digits(rest, 12),
        "GB" | "XI" => digits(rest, 9) || digits(rest, 12),
        "IE" => (8..=9).contains(&rest.len()) && alnum(rest),
        "CZ" => (8..=10).contains(&rest.len()) && rest.bytes().all(|c| c.is_ascii_digit()),
        "RO" => (2..=10).contains(&rest.len()) && rest.bytes().all(|c| c.is_ascii_digit()),
        "BG" => digits(rest, 9) || digits(rest, 10),
        "HR" => digits(rest, 11),
        "CY" => rest.len() == 9 && digits(&rest[..8], 8) && rest.as_bytes()[8].is_ascii_uppercase(),
        "LT" => digits(rest, 9) || digits(rest, 12),
        "CH" => rest.len() >= 10 && rest.starts_with('E') && digits(&rest[1..10], 9),
        _ => false,
    }
}

/// VAT ids on a line: up to four adjacent tokens joined, the longest valid shape.
fn vat_ids_in(text: &str) -> Vec<(String, usize)> {
    let toks: Vec<(usize, &str)> = text
        .split_whitespace()
        .map(|t| (t.as_ptr() as usize - text.as_ptr() as usize, t))
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let first = toks[i].1.trim_start_matches(|c: char| !c.is_alphanumeric());
        let mut found = None;
        if first.len() >= 2 && first.as_bytes()[..2].iter().all(|c| c.is_ascii_uppercase()) {
            let mut compact = String::new();
            for (j, (_, t)) in toks.iter().enumerate().skip(i).take(4) {
                let part: String = if j == i {
                    first.to_string()
                } else {
                    t.to_string()
                };
                compact.extend(part.chars().filter(|c| c.is_ascii_alphanumeric()));
                // CH ids carry a MWST/TVA/IVA suffix that is not part of the shape.
                let cand = compact
                    .trim_end_matches("MWST")
                    .trim_end_matches("TVA")
                    .trim_end_matches("IVA");
                if vat_shape_ok(cand) {
                    found = Some((cand.to_string(), j));
                }
                if compact.len() > 16 {
                    break;
                }
            }
        }
        match found {
            Some((v, j)) => {
                out.push((v, toks[i].0));
                i = j + 1;
            }
            None => i += 1,
        }
    }
    out
}

/// Text that can be a party name: mostly letters, not an identifier with a
/// leading "ID" / "No." word.
fn plausible_name(s: &str) -> bool {
    let letters = s.chars().filter(|c| c.is_alphabetic()).count();
    let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
    let (n, _) = fold(s);
    let first = n
        .split(|c: char| c.is_whitespace() || c == ':' || c == '.')
        .find(|w| !w.is_empty())
        .unwrap_or("");
    letters >= 2
        && digits * 2 <= letters
        && !matches!(
            first,
            "id" | "no" | "nr" | "n°" | "#" | "number" | "nummer" | "numero" | "code" | "ref"
        )
}

/// A party name printed with its address on one line ("ACME GmbH, 10117 Berlin"):
/// the name is the part before the first comma that is followed by a number.
fn strip_address(s: &str) -> &str {
    let mut at = 0;
    while let Some(p) = s[at..].find(',').map(|p| p + at) {
        if s[p + 1..].chars().any(|c| c.is_ascii_digit()) && !s[..p].trim().is_empty() {
            return s[..p].trim();
        }
        at = p + 1;
    }
    s.trim()
}

/// A postal code and town: `10117 Berlin`, `D-10117 Berlin`, `1012 AB Amsterdam`,
/// `75008 Paris Cedex`, `SW1A 1AA`-style UK codes at the end, `Austin, TX 78701`.
fn is_postcode_line(t: &str) -> bool {
    let toks: Vec<&str> = t.split_whitespace().collect();
    let Some(first) = toks.first() else {
        return false;
    };
    let code = first
        .trim_start_matches(|c: char| c.is_ascii_uppercase())
        .trim_start_matches('-');
    let digits = code.len();
    let leading = (4..=5).contains(&digits)
        && code.bytes().all(|c| c.is_ascii_digit())
        && toks
            .get(1)
            .is_some_and(|w| w.chars().next().is_some_and(char::is_alphabetic));
    let last = toks.last().copied().unwrap_or("");
    let us = toks.len() >= 3
        && last.len() == 5
        && last.bytes().all(|c| c.is_ascii_digit())
        && toks[toks.len() - 2].len() == 2
        && toks[toks.len() - 2].bytes().all(|c| c.is_ascii_uppercase());
    let uk = toks.len() >= 3 && {
        let (a, b) = (toks[toks.len() - 2], last);
        (2..=4).contains(&a.len())
            && a.starts_with(|c: char| c.is_ascii_uppercase())
            && a.chars().any(|c| c.is_ascii_digit())
            && b.len() == 3
            && b.starts_with(|c: char| c.is_ascii_digit())
            && b[1..].bytes().all(|c| c.is_ascii_uppercase())
    };
    (leading || us || uk) && t.len() <= 60 && !t.contains(['·', '|', '@'])
}

/// The recipient's address block when no label names it (a window-envelope
/// address): a name line, a street line and a postcode line stacked in one
/// column in the upper half of page 1, that is not the letterhead's own block.
/// Returns the name, its line and the block's left edge.
fn address_block(ctx: &Ctx) -> Option<(String, usize, f32)> {
    let first_text = ctx.lines.iter().position(|l| l.page == 1)?;
    // The body text size: the size most cells on page 1 are set in.
    let mut sizes: Vec<(i32, usize)> = Vec::new();
    for c in ctx
        .lines
        .iter()
        .filter(|l| l.page == 1)
        .flat_map(|l| &l.cells)
    {
        let key = (c.size * 2.0).round() as i32;
        match sizes.iter_mut().find(|(k, _)| *k == key) {
            Some(e) => e.1 += 1,
            None => sizes.push((key, 1)),
        }
    }
    let body = sizes
        .iter()
        .max_by_key(|(_, n)| *n)
        .map_or(f32::MAX, |(k, _)| *k as f32 / 2.0);
    for (k, ln) in ctx.lines.iter().enumerate() {
        if ln.page != 1 || ln.page_height > 0.0 && ln.y > ln.page_height * 0.5 {
            continue;
        }
        for pc in &ln.cells {
            if !is_postcode_line(ln.cell_text(pc)) {
                continue;
            }
            // Walk up the column: a street line, then the name (an optional
            // c/o or department line between is skipped over once).
            let cell_in = |li: usize| {
                ctx.lines.get(li).filter(|l| l.page == 1).and_then(|l| {
                    l.cells
                        .iter()
                        .find(|c| (c.x0 - pc.x0).abs() < 6.0)
                        .map(|c| (l, c))
                })
            };
            let Some(street_li) = k.checked_sub(1) else {
                continue;
            };
            let Some((sl, sc)) = cell_in(street_li) else {
                continue;
            };
            let street = sl.cell_text(sc);
            if !street.chars().any(|c| c.is_ascii_digit()) || street.contains(['·', '|', '@']) {
                continue;
            }
            let Some(name_li) = street_li.checked_sub(1) else {
                continue;
            };
            let Some((nl, nc)) = cell_in(name_li) else {
                continue;
            };
            let name = nl.cell_text(nc);
            let labelled = nl
                .hits
                .iter()
                .any(|h| h.start < nc.end && h.end > nc.start && h.f != F::Ignore);
            // The letterhead's block: the first line of the page, or a name set
            // larger than the body text.
            let letterhead = name_li <= first_text || nc.size > body + 0.5;
            if labelled
                || letterhead
                || !plausible_name(name)
                || is_title(name)
                || is_heading_word(name)
                || name.contains(['·', '|', '@', ':'])
            {
                continue;
            }
            return Some((strip_address(name).to_string(), name_li, pc.x0));
        }
    }
    None
}

fn parties(ctx: &Ctx, acc: &mut Acc) {
    // Customer block: the bill-to label and the lines under it in its column.
    let mut customer_block: Vec<(usize, f32, f32)> = Vec::new();
    'outer: for (li, ln) in ctx.lines.iter().enumerate() {
        for h in ln.hits.iter().filter(|h| h.f == F::Customer) {
            // A weak label ("An", "Aan", "To") counts alone in its cell, or opening
            // its cell with a colon ("Aan: ACME B.V.").
            let opens_with_colon = ln.cell_at(h.start).is_some_and(|c| c.start == h.start)
                && ln.text[h.end..].starts_with(':');
            if h.weak && !alone_in_cell(ln, h) && !opens_with_colon {
                continue;
            }
            let right = ln.right_of(h);
            let (x0, x1) = ln
                .cell_at(h.start)
                .map_or((0.0, f32::MAX), |c| (c.x0 - 2.0, c.x0 + 200.0));
            let name = if !right.is_empty() && !is_title(right) && plausible_name(right) {
                Some((right.to_string(), li))
            } else if !right.is_empty() && !plausible_name(right) && !alone_in_cell(ln, h) {
                // "Customer ID K11147": the label names a number, not a party.
                None
            } else {
                below(ctx, li, h)
                    .filter(|(t, _)| plausible_name(t))
                    .map(|(t, l)| (t.to_string(), l))
            };
            if let Some((name, nli)) = name {
                let n = &ctx.lines[nli];
                acc.ev(
                    "customer_name",
                    0.85,
                    FieldSource::TextLayer,
                    n.page,
                    n.line,
                    n.text,
                );
                acc.inv.customer.name = Some(strip_address(&name).to_string());
                customer_block.push((li, x0, x1));
                for k in li + 1..(li + 7).min(ctx.lines.len()) {
                    if ctx.lines[k].page != ln.page {
                        break;
                    }
                    customer_block.push((k, x0, x1));
                }
                break 'outer;
            }
        }
    }
    if acc.inv.customer.name.is_none()
        && let Some((name, li, x0)) = address_block(ctx)
    {
        let n = &ctx.lines[li];
        acc.ev(
            "customer_name",
            0.5,
            FieldSource::TextLayer,
            n.page,
            n.line,
            n.text,
        );
        acc.inv.customer.name = Some(name);
        for k in li..(li + 5).min(ctx.lines.len()) {
            customer_block.push((k, x0 - 2.0, x0 + 200.0));
        }
    }
    let in_customer_block = |li: usize, at: usize| {
        let ln = &ctx.lines[li];
        customer_block.iter().any(|(k, x0, x1)| {
            *k == li && ln.cell_at(at).is_none_or(|c| c.x0 >= *x0 && c.x0 <= *x1)
        })
    };

    // VAT ids: owner by label and position.
    let mut vendor_vat: Option<(String, usize, f32)> = None;
    let mut customer_vat: Option<(String, usize)> = None;
    for (li, ln) in ctx.lines.iter().enumerate() {
        for (v, at) in vat_ids_in(ln.text) {
            // A VAT id inside an IBAN-shaped run is part of the IBAN.
            if v.len() >= 4
                && v[2..4].bytes().all(|c| c.is_ascii_digit())
                && iban_is_valid(&ln.text[at..].chars().take(40).collect::<String>())
            {
                continue;
            }
            let same_line = ln.hits.iter().rfind(|h| h.end <= at).map(|h| h.f);
            let label = match same_line {
                Some(F::VatId | F::CustomerVat) => same_line,
                _ => heading_above(ctx, li, at)
                    .filter(|f| matches!(f, F::VatId | F::CustomerVat))
                    .or(same_line),
            };
            let cust = label == Some(F::CustomerVat)
                || in_customer_block(li, at) && label != Some(F::VatId);
            let labelled = matches!(label, Some(F::VatId | F::CustomerVat));
            if cust {
                if customer_vat.is_none() {
                    customer_vat = Some((v, li));
                }
            } else {
                let conf = if labelled { 0.9 } else { 0.65 };
                if vendor_vat.as_ref().is_none_or(|b| b.2 < conf) {
                    vendor_vat = Some((v, li, conf));
                }
            }
        }
    }
    if vendor_vat.is_none() {
        // Only a national tax number (Steuernummer, SIRET...) is printed.
        'tn: for (li, ln) in ctx.lines.iter().enumerate() {
            // A labelled VAT id without country prefix (`NIF: B12345678`) comes
            // before a national tax number.
            for want in [F::VatId, F::TaxNo] {
                for h in ln.hits.iter().filter(|h| h.f == want) {
                    let r = ln.right_of(h);
                    let v: String = r.split("  ").next().unwrap_or("").trim().to_string();
                    if v.len() <= 20
                        && v.chars().filter(|c| c.is_ascii_digit()).count() >= 6
                        && !in_customer_block(li, h.start)
                    {
                        vendor_vat = Some((v, li, 0.7));
                        break 'tn;
                    }
                }
            }
        }
    }
    if let Some((v, li, conf)) = &vendor_vat {
        let ln = &ctx.lines[*li];
        acc.ev(
            "vendor_tax_id",
            *conf,
            FieldSource::TextLayer,
            ln.page,
            ln.line,
            ln.text,
        );
        acc.inv.vendor.tax_id = Some(v.clone());
        if v.len() > 2 && v.as_bytes()[..2].iter().all(|c| c.is_ascii_uppercase()) {
            acc.inv.vendor.country = Some(if &v[..2] == "EL" {
                "GR".into()
            } else {
                v[..2].to_string()
            });
        }
    }
    if let Some((v, li)) = customer_vat {
        let ln = &ctx.lines[li];
        acc.ev(
            "customer_tax_id",
            0.8,
            FieldSource::TextLayer,
            ln.page,
            ln.line,
            ln.text,
        );
        if v.len() > 2 {
            acc.inv.customer.country = Some(v[..2].to_string());
        }
        acc.inv.customer.tax_id = Some(v);
    }

    // Vendor name: a "From"/"Seller" label first.
    for (li, ln) in ctx.lines.iter().enumerate() {
        if let Some(h) = ln
            .hits
            .iter()
            .find(|h| h.f == F::Vendor && h.start == ln.cells.first().map_or(0, |c| c.start))
            && let Some((t, vli)) = value_for(ctx, li, h, &|t| {
                t.chars().any(|c| c.is_alphabetic()) && !is_title(t)
            })
        {
            let n = &ctx.lines[vli];
            acc.ev(
                "vendor_name",
                0.85,
                FieldSource::TextLayer,
                n.page,
                n.line,
                n.text,
            );
            acc.inv.vendor.name = Some(t.to_string());
            return;
        }
    }
    // Legal / sender lines: "ACME GmbH · Street 1 · 12345 City" or the footer line
    // that carries the vendor VAT id.
    let customer_name = acc.inv.customer.name.clone().unwrap_or_default();
    let mut legal: Vec<(String, usize)> = Vec::new();
    for (li, ln) in ctx.lines.iter().enumerate() {
        let has_vat = vendor_vat.as_ref().is_some_and(|(_, vli, _)| *vli == li);
        let segs: Vec<&str> = ln.text.split(['·', '|', '•']).map(str::trim).collect();
        if segs.len() >= 2 || has_vat {
            for s in segs.iter().flat_map(|s| s.split("  ")).map(str::trim) {
                if has_company_suffix(s) && s.len() <= 80 && s != customer_name && !s.contains(':')
                {
                    legal.push((s.to_string(), li));
                    break;
                }
            }
        }
    }
    // Letterhead: the largest text in the top part of page 1.
    let mut head: Option<(String, usize, f32)> = None;
    for (li, ln) in ctx
        .lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.page == 1)
        .take(12)
    {
        if ln.page_height > 0.0 && ln.y > ln.page_height * 0.3 {
            break;
        }
        if customer_block.iter().any(|(k, _, _)| *k == li) {
            continue;
        }
        for c in &ln.cells {
            let t = ln.cell_text(c);
            let letters = t.chars().filter(|c| c.is_alphabetic()).count();
            let digits = t.chars().filter(|c| c.is_ascii_digit()).count();
            if letters < 2
                || digits > letters
                || is_title(t)
                || is_heading_word(t)
                || t == customer_name
                || t.contains('@')
            {
                continue;
            }
            if !find_labels(t).is_empty() && !has_company_suffix(t) {
                continue;
            }
            if head.as_ref().is_none_or(|h| c.size > h.2 + 0.5) {
                head = Some((t.to_string(), li, c.size));
            }
        }
    }
    let (fold_eq, _) = (
        |a: &str, b: &str| fold(a).0.contains(&fold(b).0) || fold(b).0.contains(&fold(a).0),
        (),
    );
    let pick = match (&head, legal.first()) {
        (Some((h, li, _)), Some(_)) if legal.iter().any(|(l, _)| fold_eq(h, l)) => {
            Some((h.clone(), *li, 0.92))
        }
        (Some((h, li, _)), _) if has_company_suffix(h) => Some((h.clone(), *li, 0.75)),
        (_, Some((l, li))) => Some((l.clone(), *li, 0.7)),
        (Some((h, li, _)), None) => Some((h.clone(), *li, 0.55)),
        (None, None) => None,
    };
    if let Some((name, li, conf)) = pick {
        let ln = &ctx.lines[li];
        acc.ev(
            "vendor_name",
            conf,
            FieldSource::TextLayer,
            ln.page,
            ln.line,
            ln.text,
        );
        acc.inv.vendor.name = Some(name);
    }
}

/// IBAN-shaped runs on a line: (printed text, normalised).
fn iban_candidates(text: &str) -> Vec<(String, String)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 4 <= chars.len() {
        let ok_start = (i == 0 || !chars[i - 1].1.is_alphanumeric())
            && chars[i].1.is_ascii_uppercase()
            && chars[i + 1].1.is_ascii_uppercase()
            && chars[i + 2].1.is_ascii_digit()
            && chars[i + 3].1.is_ascii_digit();
        if !ok_start {
            i += 1;
            continue;
        }
        let country: String = chars[i..i + 2].iter().map(|c| c.1).collect();
        let want = iban_length(&country);
        let mut compact = String::new();
        let mut j = i;
        let mut end = i;
        while j < chars.len() && compact.len() < 34 {
            let c = chars[j].1;
            if c.is_ascii_alphanumeric() {
                compact.push(c.to_ascii_uppercase());
                end = j + 1;
                if Some(compact.len()) == want {
                    break;
                }
            } else if !(c == ' ' || c == '\u{a0}' || c == '-')
                || chars
                    .get(j + 1)
                    .is_none_or(|n| !n.1.is_ascii_alphanumeric())
            {
                break;
            }
            j += 1;
        }
        if compact.len() >= 15 {
            let s = chars[i].0;
            let e = chars.get(end).map_or(text.len(), |c| c.0);
            out.push((text[s..e].to_string(), compact));
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

fn iban_bic(ctx: &Ctx, acc: &mut Acc) {
    let mut valid: Option<(String, usize, bool)> = None;
    let mut invalid: Option<(String, usize)> = None;
    for (li, ln) in ctx.lines.iter().enumerate() {
        let labelled = ln.hits.iter().any(|h| h.f == F::Iban)
            || li > 0
                && ctx.lines[li - 1].page == ln.page
                && ctx.lines[li - 1].hits.iter().any(|h| h.f == F::Iban);
        for (printed, compact) in iban_candidates(ln.text) {
            if iban_is_valid(&compact) {
                if valid.as_ref().is_none_or(|v| !v.2 && labelled) {
                    valid = Some((printed, li, labelled));
                }
            } else if labelled && invalid.is_none() {
                invalid = Some((printed, li));
            }
        }
    }
    match (valid, invalid) {
        (Some((p, li, labelled)), _) => {
            let ln = &ctx.lines[li];
            acc.ev(
                "iban",
                if labelled { 0.97 } else { 0.85 },
                FieldSource::TextLayer,
                ln.page,
                ln.line,
                ln.text,
            );
            acc.inv.iban = Some(p);
        }
        (None, Some((p, li))) => {
            // Reported anyway: an invalid IBAN on an invoice is itself a finding.
            let ln = &ctx.lines[li];
            acc.ev(
                "iban",
                0.3,
                FieldSource::TextLayer,
                ln.page,
                ln.line,
                ln.text,
            );
            acc.inv.iban = Some(p);
        }
        _ => {}
    }
    let first_bic = |t: &str| {
        t.split_whitespace()
            .take(2)
            .map(|t| t.trim_matches(|c: char| !c.is_alphanumeric()).to_string())
            .find(|t| bic_is_valid(t))
    };
    for (li, ln) in ctx.lines.iter().enumerate() {
        for h in ln.hits.iter().filter(|h| h.f == F::Bic) {
            let r = ln.right_of(h);
            // The value right of the label, else in the cell under it.
            let found = first_bic(r)
                .map(|t| (t, li))
                .or_else(|| below(ctx, li, h).and_then(|(t, vli)| first_bic(t).map(|b| (b, vli))));
            if let Some((t, vli)) = found {
                let ln = &ctx.lines[vli];
                let t = t.as_str();
                let country_ok = acc
                    .inv
                    .iban
                    .as_ref()
                    .is_none_or(|i| normalize_iban(i).get(..2) == t.get(4..6));
                acc.ev(
                    "bic",
                    if country_ok { 0.9 } else { 0.75 },
                    FieldSource::TextLayer,
                    ln.page,
                    ln.line,
                    ln.text,
                );
                acc.inv.bic = Some(t.to_string());
                return;
            }
        }
    }
    // No BIC label we know: a BIC-shaped token of the IBAN's country printed on
    // the IBAN's line or the two lines after it.
    let Some(iban) = acc.inv.iban.as_deref().map(normalize_iban) else {
        return;
    };
    let Some(ili) = acc.evidence("iban").and_then(|e| {
        ctx.lines
            .iter()
            .position(|l| l.page == e.page && l.line == e.line)
    }) else {
        return;
    };
    for li in ili..(ili + 3).min(ctx.lines.len()) {
        let ln = &ctx.lines[li];
        for tok in ln.text.split_whitespace() {
            let t = tok.trim_matches(|c: char| !c.is_alphanumeric());
            if (t.len() == 8 || t.len() == 11)
                && t.bytes()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                && bic_is_valid(t)
                && t.get(4..6) == iban.get(..2)
                && !iban.contains(t)
            {
                acc.ev(
                    "bic",
                    0.7,
                    FieldSource::TextLayer,
                    ln.page,
                    ln.line,
                    ln.text,
                );
                acc.inv.bic = Some(t.to_string());
                return;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Totals

fn amount_values(ctx: &Ctx, li: usize, h: &Hit) -> Option<(Vec<FoundAmount>, usize)> {
    let ln = &ctx.lines[li];
    let end = ln
        .hits
        .iter()
        .filter(|o| o.start >= h.end && o.f != F::Ignore)
        .map(|o| o.start)
        .min()
        .unwrap_or(ln.text.len());
    let region = &ln.text[h.end..end];
    let found = money_amounts(region, ctx);
    if !found.is_empty() {
        return Some((found, li));
    }
    if !region
        .trim_matches(|c: char| c.is_whitespace() || c == ':')
        .is_empty()
        && find_amounts(region, ctx.dec).is_empty()
    {
        // Some text but no amount right of the label (a sentence): try below only
        // when the label stands alone in its cell.
    }
    let (t, vli) = below(ctx, li, h)?;
    let found = money_amounts(t, ctx);
    (!found.is_empty()).then_some((found, vli))
}

/// Amounts in `s` that are not percentages and not part of a date ("Please pay
/// 10.00 by 7 September 2026" has one amount, not two).
fn money_amounts(s: &str, ctx: &Ctx) -> Vec<FoundAmount> {
    let dates = find_dates(s, ctx.order);
    find_amounts(s, ctx.dec)
        .into_iter()
        .filter(|a| !a.percent)
        .filter(|a| !dates.iter().any(|d| a.start < d.2 && d.1 < a.end))
        .collect()
}

fn totals(ctx: &Ctx, acc: &mut Acc, cur: &str, table_rows: &[usize]) {
    let mut cands: Vec<AmountCand> = Vec::new();
    for (li, ln) in ctx.lines.iter().enumerate() {
        if table_rows.contains(&li) {
            continue;
        }
        for h in &ln.hits {
            if !matches!(h.f, F::Net | F::Tax | F::Gross | F::Due | F::Prepaid) {
                continue;
            }
            // A label in the middle of a sentence is not a total label.
            let first_cell_start = ln
                .cells
                .iter()
                .find(|c| c.end > h.start)
                .map_or(0, |c| c.start);
            if h.start > first_cell_start + 2
                && !ln.text[first_cell_start..h.start].trim().is_empty()
            {
                let before = &ln.text[first_cell_start..h.start];
                if before.chars().filter(|c| c.is_alphabetic()).count() > 12 {
                    continue;
                }
            }
            let Some((found, vli)) = amount_values(ctx, li, h) else {
                continue;
            };
            // A line may carry several totals ("Net 100.00  VAT 19.00  Total
            // 119.00"); after the first, only values on the line itself count,
            // never a cell below a label of a heading row.
            if vli != li && cands.last().is_some_and(|c| c.idx == li) {
                continue;
            }
            let last = found.last().cloned();
            let Some(last) = last else { continue };
            let rate = if h.f == F::Tax {
                let end = ln
                    .hits
                    .iter()
                    .filter(|o| o.start >= h.end)
                    .map(|o| o.start)
                    .min()
                    .unwrap_or(ln.text.len());
                find_amounts(&ln.text[h.end..end], ctx.dec)
                    .into_iter()
                    .find(|a| a.percent)
                    .map(|a| a.num)
                    .or_else(|| {
                        // A rate printed just before the label ("19 % MwSt."),
                        // not one an earlier total on the line is followed by
                        // its amounts ("VAT 5.5 % 32.66  VAT 1,107.34").
                        let from = ln
                            .hits
                            .iter()
                            .filter(|o| o.end <= h.start)
                            .map(|o| o.end)
                            .max()
                            .unwrap_or(0);
                        find_amounts(&ln.text[from..h.start], ctx.dec)
                            .pop()
                            .filter(|a| a.percent)
                            .map(|a| a.num)
                    })
            } else {
                None
            };
            let basis = if h.f == F::Tax && found.len() >= 2 {
                let b = &found[found.len() - 2];
                // `VAT 21 % (3,845.61)  807.58`: next to a rate the bracket
                // names the taxed basis; it is no accounting negative.
                Some(if rate.is_some() && b.bracketed && b.num.digits < 0 {
                    b.num.negated()
                } else {
                    b.num
                })
            } else {
                None
            };
            if last.currency.as_deref().is_some_and(|c| c != cur) {
                continue;
            }
            cands.push(AmountCand {
                f: h.f,
                num: last.num,
                rate,
                basis,
                idx: vli,
            });
        }
    }
    let minor = |n: Num| n.to_minor(cur);
    let of = |f: F| {
        cands
            .iter()
            .filter(move |c| c.f == f && minor(c.num).is_some())
    };

    // Tax: one total line, or the sum of per-rate lines.
    let mut tax_opts: Vec<(i64, usize)> = of(F::Tax)
        .map(|c| (minor(c.num).unwrap_or(0), c.idx))
        .collect();
    let rate_lines: Vec<&AmountCand> = of(F::Tax).filter(|c| c.rate.is_some()).collect();
    if rate_lines.len() > 1 {
        let sum: i64 = rate_lines
            .iter()
            .filter_map(|c| minor(c.num))
            .fold(0i64, |a, b| a.saturating_add(b));
        tax_opts.push((sum, rate_lines[rate_lines.len() - 1].idx));
    }
    let nets: Vec<(i64, usize)> = of(F::Net)
        .map(|c| (minor(c.num).unwrap_or(0), c.idx))
        .collect();
    let grosses: Vec<(i64, usize)> = of(F::Gross)
        .chain(of(F::Due))
        .map(|c| (minor(c.num).unwrap_or(0), c.idx))
        .collect();

    type At = (i64, usize);
    let mut best: Option<(At, At, At)> = None;
    for n in &nets {
        for t in &tax_opts {
            for g in &grosses {
                if n.0 as i128 + t.0 as i128 == g.0 as i128
                    && best
                        .as_ref()
                        .is_none_or(|b| g.0 > b.2.0 || g.0 == b.2.0 && g.1 > b.2.1)
                {
                    best = Some((*n, *t, *g));
                }
            }
        }
    }
    let money = |m: i64| Money {
        minor: m,
        currency: cur.to_string(),
    };
    let put = |acc: &mut Acc, field: &str, v: (i64, usize), conf: f32| {
        let ln = &ctx.lines[v.1];
        acc.ev(
            field,
            conf,
            FieldSource::TextLayer,
            ln.page,
            ln.line,
            ln.text,
        );
        let m = Some(money(v.0));
        match field {
            "net_total" => acc.inv.net_total = m,
            "tax_total" => acc.inv.tax_total = m,
            "gross_total" => acc.inv.gross_total = m,
            "amount_due" => acc.inv.amount_due = m,
            _ => acc.inv.prepaid = m,
        }
    };
    let gross_labelled: Vec<(i64, usize)> = of(F::Gross)
        .map(|c| (minor(c.num).unwrap_or(0), c.idx))
        .collect();
    match best {
        Some((n, t, g)) => {
            put(acc, "net_total", n, 0.95);
            put(acc, "tax_total", t, 0.95);
            // If the triple closed on an "amount due" line, the gross is the same
            // number; prefer a labelled gross line of that value for the evidence.
            let g = gross_labelled
                .iter()
                .find(|x| x.0 == g.0)
                .copied()
                .unwrap_or(g);
            put(acc, "gross_total", g, 0.95);
        }
        None => {
            if let Some(n) = nets.last() {
                put(acc, "net_total", *n, 0.7);
            }
            if let Some(t) = tax_opts.last() {
                put(acc, "tax_total", *t, 0.7);
            }
            if let Some(g) = gross_labelled.iter().max_by_key(|g| (g.0, g.1)) {
                put(acc, "gross_total", *g, 0.7);
            }
            derive_missing(acc, cur);
        }
    }
    // Prepaid and amount due.
    // BT-113 is an amount already paid: `Less deposit -1,232.85` prints the
    // subtraction, the amount itself is positive.
    if let Some(p) = of(F::Prepaid).next_back() {
        let v = minor(p.num).unwrap_or(0).saturating_abs();
        put(acc, "prepaid", (v, p.idx), 0.8);
    }
    // Amount due: the labelled value that closes gross - prepaid, else the last.
    let expected_due = acc.inv.gross_total.as_ref().map(|g| {
        g.minor.saturating_sub(
            acc.inv
                .prepaid
                .as_ref()
                .map_or(0, |p| p.minor.saturating_abs()),
        )
    });
    let due_cand = of(F::Due)
        .rfind(|c| minor(c.num).is_some() && minor(c.num) == expected_due)
        .or_else(|| of(F::Due).next_back());
    if let Some(d) = due_cand {
        let v = minor(d.num).unwrap_or(0);
        let consistent = acc.inv.gross_total.as_ref().is_some_and(|g| {
            g.minor.saturating_sub(
                acc.inv
                    .prepaid
                    .as_ref()
                    .map_or(0, |p| p.minor.saturating_abs()),
            ) == v
        });
        put(
            acc,
            "amount_due",
            (v, d.idx),
            if consistent { 0.95 } else { 0.75 },
        );
    } else if let Some(g) = acc.inv.gross_total.clone() {
        let due = g.minor.saturating_sub(
            acc.inv
                .prepaid
                .as_ref()
                .map_or(0, |p| p.minor.saturating_abs()),
        );
        acc.ev(
            "amount_due",
            0.7,
            FieldSource::Derived,
            0,
            0,
            "gross_total - prepaid",
        );
        acc.inv.amount_due = Some(money(due));
    }

    // VAT breakdown rows from per-rate tax lines.
    let net = acc.inv.net_total.clone();
    let single = rate_lines.len() == 1;
    for c in rate_lines {
        let (Some(rate), Some(amount)) = (c.rate.and_then(Num::to_decimal), minor(c.num)) else {
            continue;
        };
        let basis = match c.basis.and_then(minor) {
            Some(b) => Some(b),
            None if single => net.as_ref().map(|n| n.minor),
            None => None,
        };
        if let Some(b) = basis {
            acc.inv.tax_breakdown.push(TaxLine {
                rate,
                basis: money(b),
                amount: money(amount),
                category: None,
            });
        }
    }
}

/// With two of net / tax / gross known, the third is their difference or sum.
fn derive_missing(acc: &mut Acc, cur: &str) {
    let m = |v: i64| {
        Some(Money {
            minor: v,
            currency: cur.to_string(),
        })
    };
    let (n, t, g) = (
        acc.inv.net_total.as_ref().map(|x| x.minor),
        acc.inv.tax_total.as_ref().map(|x| x.minor),
        acc.inv.gross_total.as_ref().map(|x| x.minor),
    );
    match (n, t, g) {
        (Some(n), Some(t), None) => {
            acc.inv.gross_total = m(n.saturating_add(t));
            acc.ev(
                "gross_total",
                0.7,
                FieldSource::Derived,
                0,
                0,
                "net_total + tax_total",
            );
        }
        (Some(n), None, Some(g)) if g >= n => {
            acc.inv.tax_total = m(g.saturating_sub(n));
            acc.ev(
                "tax_total",
                0.6,
                FieldSource::Derived,
                0,
                0,
                "gross_total - net_total",
            );
        }
        (None, Some(t), Some(g)) => {
            acc.inv.net_total = m(g.saturating_sub(t));
            acc.ev(
                "net_total",
                0.6,
                FieldSource::Derived,
                0,
                0,
                "gross_total - tax_total",
            );
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// Line items

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Pos,
    Desc,
    Qty,
    Unit,
    Price,
    Amount,
    Vat,
    Code,
}

const HEADERS: &[(Col, &str)] = &[
    (Col::Pos, "pos"),
    (Col::Pos, "#"),
    (Col::Pos, "nr"),
    (Col::Pos, "no"),
    (Col::Pos, "line"),
    (Col::Desc, "description"),
    (Col::Desc, "item"),
    (Col::Desc, "items"),
    (Col::Desc, "product"),
    (Col::Desc, "service"),
    (Col::Desc, "item description"),
    (Col::Desc, "details"),
    (Col::Desc, "beschreibung"),
    (Col::Desc, "bezeichnung"),
    (Col::Desc, "artikel"),
    (Col::Desc, "leistung"),
    (Col::Desc, "artikelbezeichnung"),
    (Col::Desc, "leistungsbeschreibung"),
    (Col::Desc, "designation"),
    (Col::Desc, "libelle"),
    (Col::Desc, "article"),
    (Col::Desc, "prestation"),
    (Col::Desc, "omschrijving"),
    (Col::Desc, "product"),
    (Col::Desc, "dienst"),
    (Col::Desc, "descripcion"),
    (Col::Desc, "concepto"),
    (Col::Desc, "articulo"),
    (Col::Desc, "descrizione"),
    (Col::Desc, "articolo"),
    (Col::Desc, "prodotto"),
    (Col::Qty, "qty"),
    (Col::Qty, "quantity"),
    (Col::Qty, "hours"),
    (Col::Qty, "menge"),
    (Col::Qty, "anzahl"),
    (Col::Qty, "qte"),
    (Col::Qty, "quantite"),
    (Col::Qty, "aantal"),
    (Col::Qty, "cantidad"),
    (Col::Qty, "cant"),
    (Col::Qty, "quantita"),
    (Col::Qty, "qta"),
    (Col::Qty, "stk"),
    (Col::Qty, "anz"),
    (Col::Qty, "q.ta"),
    (Col::Qty, "units"),
    (Col::Qty, "uds"),
    (Col::Unit, "unit"),
    (Col::Unit, "einheit"),
    (Col::Unit, "unite"),
    (Col::Unit, "eenheid"),
    (Col::Unit, "unidad"),
    (Col::Unit, "unita"),
    (Col::Unit, "um"),
    (Col::Unit, "u.m"),
    (Col::Unit, "me"),
    (Col::Price, "unit price"),
    (Col::Price, "price"),
    (Col::Price, "rate"),
    (Col::Price, "price per unit"),
    (Col::Price, "einzelpreis"),
    (Col::Price, "preis"),
    (Col::Price, "e-preis"),
    (Col::Price, "stuckpreis"),
    (Col::Price, "ep"),
    (Col::Price, "prix unitaire"),
    (Col::Price, "prix unit ht"),
    (Col::Price, "prix unitaire ht"),
    (Col::Price, "pu ht"),
    (Col::Price, "p.u. ht"),
    (Col::Price, "p.u ht"),
    (Col::Price, "price each"),
    (Col::Price, "p. unit"),
    (Col::Price, "pr. unit"),
    (Col::Price, "p.u"),
    (Col::Price, "pu"),
    (Col::Price, "prix"),
    (Col::Price, "prijs"),
    (Col::Price, "stukprijs"),
    (Col::Price, "eenheidsprijs"),
    (Col::Price, "precio unitario"),
    (Col::Price, "precio"),
    (Col::Price, "prezzo unitario"),
    (Col::Price, "prezzo"),
    (Col::Amount, "amount"),
    (Col::Amount, "total"),
    (Col::Amount, "line total"),
    (Col::Amount, "net"),
    (Col::Amount, "net amount"),
    (Col::Amount, "gesamt"),
    (Col::Amount, "betrag"),
    (Col::Amount, "gesamtpreis"),
    (Col::Amount, "summe"),
    (Col::Amount, "netto"),
    (Col::Amount, "gesamt netto"),
    (Col::Amount, "montant"),
    (Col::Amount, "montant ht"),
    (Col::Amount, "total ht"),
    (Col::Amount, "bedrag"),
    (Col::Amount, "totaal"),
    (Col::Amount, "importe"),
    (Col::Amount, "importo"),
    (Col::Amount, "totale"),
    (Col::Amount, "subtotal"),
    (Col::Vat, "vat"),
    (Col::Vat, "vat %"),
    (Col::Vat, "tax"),
    (Col::Vat, "tax %"),
    (Col::Vat, "vat rate"),
    (Col::Vat, "mwst"),
    (Col::Vat, "mwst %"),
    (Col::Vat, "ust"),
    (Col::Vat, "ust %"),
    (Col::Vat, "tva"),
    (Col::Vat, "tva %"),
    (Col::Vat, "taux tva"),
    (Col::Vat, "btw"),
    (Col::Vat, "btw %"),
    (Col::Vat, "iva"),
    (Col::Vat, "iva %"),
    (Col::Vat, "%"),
    (Col::Vat, "% iva"),
    (Col::Vat, "aliquota"),
    (Col::Vat, "steuersatz"),
    (Col::Vat, "taux"),
    (Col::Vat, "tax rate"),
    (Col::Vat, "% vat"),
    (Col::Code, "sku"),
    (Col::Code, "code"),
    (Col::Code, "item no"),
    (Col::Code, "art.-nr"),
    (Col::Code, "art-nr"),
    (Col::Code, "artikelnummer"),
    (Col::Code, "artikelnr"),
    (Col::Code, "art.nr"),
    (Col::Code, "reference"),
    (Col::Code, "ref"),
    (Col::Code, "codigo"),
    (Col::Code, "codice"),
    (Col::Code, "product code"),
];

fn header_class(cell: &str) -> Option<Col> {
    let (n, _) = fold(cell);
    let mut t: String = n
        .chars()
        .map(|c| {
            if c == '(' || c == ')' || c == ':' || c == '[' || c == ']' {
                ' '
            } else {
                c
            }
        })
        .collect();
    for cur in ["eur", "usd", "gbp", "chf", "€", "$", "£", "in"] {
        t = t
            .split_whitespace()
            .filter(|w| *w != cur)
            .collect::<Vec<_>>()
            .join(" ");
    }
    let t = t.trim().trim_end_matches('.').trim();
    HEADERS.iter().find(|(_, h)| *h == t).map(|(c, _)| *c)
}

/// Columns of a header line, when it is one.
fn header_columns(ln: &Ln) -> Option<Vec<(Col, f32, f32)>> {
    let cols: Vec<(Col, f32, f32)> = ln
        .cells
        .iter()
        .filter_map(|c| header_class(ln.cell_text(c)).map(|k| (k, c.x0, c.x1)))
        .collect();
    let has = |k: Col| cols.iter().any(|c| c.0 == k);
    let enough = cols.len() >= 3 && cols.len() * 2 > ln.cells.len();
    (enough && has(Col::Desc) && (has(Col::Amount) || has(Col::Price))).then_some(cols)
}

fn column_of(cols: &[(Col, f32, f32)], c: &Cell) -> Col {
    let best = cols
        .iter()
        .map(|(k, x0, x1)| {
            let ov = (c.x1.min(*x1) - c.x0.max(*x0)).max(0.0);
            let dist = ((c.x0 + c.x1) / 2.0 - (x0 + x1) / 2.0).abs();
            (*k, ov, dist)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.2.total_cmp(&a.2)));
    best.map_or(Col::Desc, |b| b.0)
}

/// Parse the line-items table(s); returns the indices of the header and row lines.
fn line_items(ctx: &Ctx, acc: &mut Acc, cur: Option<&str>) -> Vec<usize> {
    let mut rows = Vec::new();
    let mut headers = Vec::new();
    let mut cols: Option<Vec<(Col, f32, f32)>> = None;
    let mut page = 0;
    let mut misses = 0;
    let mut first_row: Option<usize> = None;
    let mut done = false;
    for (li, ln) in ctx.lines.iter().enumerate() {
        if done {
            break;
        }
        if let Some(h) = header_columns(ln) {
            headers.push(li);
            cols = Some(h);
            page = ln.page;
            misses = 0;
            continue;
        }
        let Some(cs) = &cols else { continue };
        if ln.page != page {
            // A table continues on a new page only under a repeated header.
            cols = None;
            continue;
        }
        // The totals block ends the table.
        if let Some(h) = ln.hits.first()
            && matches!(h.f, F::Net | F::Gross | F::Due | F::Tax)
            && ln.cells.first().is_some_and(|c| h.start <= c.start + 1)
            && acc.inv.line_items.len() + usize::from(first_row.is_some()) > 0
        {
            let col = ln.cells.first().map(|c| column_of(cs, c));
            if col != Some(Col::Desc) || ln.cells.len() <= 2 || !acc.inv.line_items.is_empty() {
                done = true;
                continue;
            }
        }
        // "Carried forward 1.234,56" repeats a subtotal; it is not an item.
        if ln.hits.iter().any(|h| h.f == F::Carry) {
            continue;
        }
        let mut desc = Vec::new();
        let (mut qty, mut unit, mut price, mut amount, mut vat, mut code) =
            (None, None, None, None, None, None);
        for c in &ln.cells {
            let t = ln.cell_text(c);
            match column_of(cs, c) {
                Col::Desc => desc.push(t),
                Col::Pos => {}
                Col::Qty => {
                    let mut it = t.splitn(2, ' ');
                    qty = it.next().and_then(|q| parse_quantity(q, ctx.dec));
                    if let Some(u) = it.next() {
                        unit = Some(u.trim().to_string());
                    }
                }
                Col::Unit => unit = Some(t.to_string()),
                Col::Price => price = find_amounts(t, ctx.dec).into_iter().next().map(|a| a.num),
                Col::Amount => {
                    amount = find_amounts(t, ctx.dec)
                        .into_iter()
                        .rfind(|a| a.has_decimals)
                        .map(|a| a.num)
                }
                Col::Vat => vat = parse_quantity(t, ctx.dec),
                Col::Code => code = Some(t.to_string()),
            }
        }
        let description = desc.join(" ");
        match amount {
            Some(a) if !description.is_empty() || qty.is_some() => {
                misses = 0;
                rows.push(li);
                first_row.get_or_insert(li);
                acc.inv.line_items.push(LineItem {
                    description,
                    quantity: qty.and_then(Num::to_decimal),
                    unit,
                    unit_price: price.and_then(Num::to_decimal),
                    net_amount: cur.and_then(|c| a.to_money(c)),
                    tax_rate: vat.and_then(Num::to_decimal),
                    product_code: code,
                });
            }
            None if !description.is_empty()
                && qty.is_none()
                && price.is_none()
                && misses == 0
                && ln.hits.is_empty() =>
            {
                // A wrapped description continues the row above.
                if let Some(last) = acc.inv.line_items.last_mut()
                    && rows.last() == Some(&(li - 1))
                    && ln.cells.iter().all(|c| column_of(cs, c) == Col::Desc)
                {
                    last.description.push(' ');
                    last.description.push_str(&description);
                    rows.push(li);
                } else {
                    misses += 1;
                }
            }
            _ => {
                misses += 1;
                if misses >= 4 {
                    cols = None;
                }
            }
        }
    }
    if let Some(f) = first_row {
        let ln = &ctx.lines[f];
        acc.ev(
            "line_items",
            0.75,
            FieldSource::TextLayer,
            ln.page,
            ln.line,
            ln.text,
        );
    }
    // Header rows are not totals either ("Total" over the amount column).
    rows.extend(headers);
    rows
}

/// A line as the extractor sees it (cells with x extents, labels), for templates.
pub fn line_view<'a>(
    page: &'a papyr_sdk::types::Page,
    l: &'a papyr_sdk::types::TextLine,
) -> Ln<'a> {
    Ln::new(page, l)
}

/// Compact VAT ids printed on a line.
pub fn vat_ids_on(text: &str) -> Vec<String> {
    vat_ids_in(text).into_iter().map(|v| v.0).collect()
}
