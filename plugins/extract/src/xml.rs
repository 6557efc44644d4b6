//! Structured e-invoices (CII, ZUGFeRD 1.0, UBL Invoice / CreditNote), read exactly.
use crate::num::{Num, make_date};
use crate::{Acc, empty_invoice};
use papyr_sdk::types::{
    Date, DocumentKind, FieldSource, Invoice, LineItem, Money, Party, StageError, TaxLine,
    XmlSyntax,
};
use roxmltree::{Document, Node};

/// Facts the consistency tests need that have no place in the WIT invoice.
#[derive(Debug, Default, Clone)]
pub struct XmlExtras {
    /// BT-106 sum of invoice line net amounts.
    pub line_total: Option<Money>,
    /// BT-114 rounding amount added to the amount due.
    pub rounding: Option<Money>,
}

type R<T> = Result<T, StageError>;

fn bad(msg: impl Into<String>) -> StageError {
    StageError::InvalidInput(msg.into())
}

fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn children<'a, 'i>(n: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn path<'a, 'i>(n: Node<'a, 'i>, names: &[&str]) -> Option<Node<'a, 'i>> {
    names.iter().try_fold(n, |cur, name| child(cur, name))
}

fn text(n: Option<Node>) -> Option<String> {
    let t = n?.text()?.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// `rsm:ExchangedDocument/ram:ID`-style path of a node, for evidence.
fn node_path(n: Node) -> String {
    let mut parts: Vec<String> = n
        .ancestors()
        .filter(|a| a.is_element())
        .map(|a| {
            let name = a.tag_name().name();
            match a.tag_name().namespace().and_then(|ns| a.lookup_prefix(ns)) {
                Some(p) if !p.is_empty() => format!("{p}:{name}"),
                _ => name.to_string(),
            }
        })
        .collect();
    parts.reverse();
    // The root is implied; keep paths short enough to read.
    if parts.len() > 1 {
        parts.remove(0);
    }
    parts.join("/")
}

/// Money from an amount element; more decimals than the currency has is an error.
fn money(n: Node, currency: &str) -> R<Money> {
    let raw = n.text().unwrap_or("").trim();
    let num = Num::parse_plain(raw)
        .ok_or_else(|| bad(format!("{}: `{raw}` is not a decimal amount", node_path(n))))?;
    num.to_money(currency).ok_or_else(|| {
        bad(format!(
            "{}: amount `{raw}` has more decimals than {currency} allows (not rounded)",
            node_path(n)
        ))
    })
}

fn decimal(n: Node) -> R<papyr_sdk::types::Decimal> {
    let raw = n.text().unwrap_or("").trim();
    Num::parse_plain(raw)
        .and_then(Num::to_decimal)
        .ok_or_else(|| bad(format!("{}: `{raw}` is not a decimal", node_path(n))))
}

fn date_102(n: Node) -> R<Date> {
    let raw = n.text().unwrap_or("").trim();
    let ok = raw.len() == 8 && raw.bytes().all(|b| b.is_ascii_digit());
    let parsed = ok.then(|| {
        let y: u32 = raw[..4].parse().ok()?;
        let m: u32 = raw[4..6].parse().ok()?;
        let d: u32 = raw[6..].parse().ok()?;
        make_date(y, m, d)
    });
    parsed
        .flatten()
        .ok_or_else(|| bad(format!("{}: `{raw}` is not a YYYYMMDD date", node_path(n))))
}

fn date_iso(n: Node) -> R<Date> {
    let raw = n.text().unwrap_or("").trim();
    let b = raw.as_bytes();
    let ok = b.len() >= 10 && b[4] == b'-' && b[7] == b'-';
    let parsed = ok.then(|| {
        make_date(
            raw[..4].parse().ok()?,
            raw[5..7].parse().ok()?,
            raw[8..10].parse().ok()?,
        )
    });
    parsed.flatten().ok_or_else(|| {
        bad(format!(
            "{}: `{raw}` is not a YYYY-MM-DD date",
            node_path(n)
        ))
    })
}

/// Read an e-invoice. `classification_kind` is used only when the XML does not
/// say what it is.
pub fn read(syntax: XmlSyntax, xml: &str) -> R<(Invoice, XmlExtras)> {
    let doc =
        Document::parse(xml).map_err(|e| bad(format!("e-invoice XML does not parse: {e}")))?;
    let root = doc.root_element();
    let mut acc = Acc::new(empty_invoice(DocumentKind::Invoice));
    let extras = match (syntax, root.tag_name().name()) {
        (_, "CrossIndustryInvoice") => read_cii(root, &mut acc, Dialect::CII)?,
        (_, "CrossIndustryDocument") => read_cii(root, &mut acc, Dialect::ZF1)?,
        (_, "Invoice") | (_, "CreditNote") => read_ubl(root, &mut acc)?,
        (_, other) => {
            return Err(StageError::Unsupported(format!(
                "XML root `{other}` is not a known e-invoice"
            )));
        }
    };
    Ok((acc.finish(), extras))
}

/// Element names that differ between CII (D16B) and ZUGFeRD 1.0.
struct Dialect {
    header: &'static str,
    transaction: &'static str,
    agreement: &'static str,
    settlement: &'static str,
    summation: &'static str,
    rate: &'static str,
    line_agreement: &'static str,
    line_delivery: &'static str,
    line_settlement: &'static str,
    line_summation: &'static str,
}

impl Dialect {
    const CII: Dialect = Dialect {
        header: "ExchangedDocument",
        transaction: "SupplyChainTradeTransaction",
        agreement: "ApplicableHeaderTradeAgreement",
        settlement: "ApplicableHeaderTradeSettlement",
        summation: "SpecifiedTradeSettlementHeaderMonetarySummation",
        rate: "RateApplicablePercent",
        line_agreement: "SpecifiedLineTradeAgreement",
        line_delivery: "SpecifiedLineTradeDelivery",
        line_settlement: "SpecifiedLineTradeSettlement",
        line_summation: "SpecifiedTradeSettlementLineMonetarySummation",
    };
    const ZF1: Dialect = Dialect {
        header: "HeaderExchangedDocument",
        transaction: "SpecifiedSupplyChainTradeTransaction",
        agreement: "ApplicableSupplyChainTradeAgreement",
        settlement: "ApplicableSupplyChainTradeSettlement",
        summation: "SpecifiedTradeSettlementMonetarySummation",
        rate: "ApplicablePercent",
        line_agreement: "SpecifiedSupplyChainTradeAgreement",
        line_delivery: "SpecifiedSupplyChainTradeDelivery",
        line_settlement: "SpecifiedSupplyChainTradeSettlement",
        line_summation: "SpecifiedTradeSettlementMonetarySummation",
    };
}

fn kind_of_code(code: &str) -> DocumentKind {
    // UNTDID 1001 credit-note codes (the same list the classify stage uses).
    match code {
        "81" | "83" | "261" | "262" | "296" | "308" | "381" | "396" | "420" | "458" | "532" => {
            DocumentKind::CreditNote
        }
        _ => DocumentKind::Invoice,
    }
}

fn set_text(acc: &mut Acc, field: &str, n: Option<Node>) -> Option<String> {
    let n = n?;
    let t = text(Some(n))?;
    acc.ev(field, 1.0, FieldSource::EInvoice, 0, 0, node_path(n));
    Some(t)
}

fn join_address(
    parts: Vec<Option<String>>,
    postcode: Option<String>,
    city: Option<String>,
) -> Option<String> {
    let mut out: Vec<String> = parts.into_iter().flatten().collect();
    let pc = [postcode, city]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if !pc.is_empty() {
        out.push(pc);
    }
    (!out.is_empty()).then(|| out.join(", "))
}

fn cii_party(acc: &mut Acc, p: Option<Node>, who: &str) -> Party {
    let mut party = Party {
        name: None,
        tax_id: None,
        address: None,
        country: None,
    };
    let Some(p) = p else { return party };
    party.name = set_text(acc, &format!("{who}_name"), child(p, "Name"));
    let regs: Vec<Node> = children(p, "SpecifiedTaxRegistration")
        .filter_map(|r| child(r, "ID"))
        .collect();
    let pick = regs
        .iter()
        .find(|id| id.attribute("schemeID") == Some("VA"))
        .or_else(|| {
            regs.iter()
                .find(|id| id.attribute("schemeID") == Some("FC"))
        })
        .or(regs.first())
        .copied();
    party.tax_id = set_text(acc, &format!("{who}_tax_id"), pick);
    if let Some(a) = child(p, "PostalTradeAddress") {
        party.address = join_address(
            vec![
                text(child(a, "LineOne")),
                text(child(a, "LineTwo")),
                text(child(a, "LineThree")),
            ],
            text(child(a, "PostcodeCode")),
            text(child(a, "CityName")),
        );
        party.country = text(child(a, "CountryID"));
    }
    party
}

fn read_cii(root: Node, acc: &mut Acc, d: Dialect) -> R<XmlExtras> {
    let header = child(root, d.header).ok_or_else(|| bad(format!("CII: no {}", d.header)))?;
    let tx = child(root, d.transaction).ok_or_else(|| bad(format!("CII: no {}", d.transaction)))?;
    let agreement = child(tx, d.agreement);
    let settlement =
        child(tx, d.settlement).ok_or_else(|| bad(format!("CII: no {}", d.settlement)))?;

    acc.inv.invoice_number = set_text(acc, "invoice_number", child(header, "ID"));
    if let Some(code) = text(child(header, "TypeCode")) {
        acc.inv.kind = kind_of_code(&code);
    }
    if let Some(n) = path(header, &["IssueDateTime", "DateTimeString"]) {
        acc.inv.issue_date = Some(date_102(n)?);
        acc.ev("issue_date", 1.0, FieldSource::EInvoice, 0, 0, node_path(n));
    }
    let currency = set_text(acc, "currency", child(settlement, "InvoiceCurrencyCode"))
        .ok_or_else(|| bad("CII: no InvoiceCurrencyCode"))?;
    acc.inv.currency = Some(currency.clone());

    acc.inv.vendor = cii_party(
        acc,
        agreement.and_then(|a| child(a, "SellerTradeParty")),
        "vendor",
    );
    acc.inv.customer = cii_party(
        acc,
        agreement.and_then(|a| child(a, "BuyerTradeParty")),
        "customer",
    );
    acc.inv.po_number = set_text(
        acc,
        "po_number",
        agreement.and_then(|a| {
            path(a, &["BuyerOrderReferencedDocument", "IssuerAssignedID"])
                .or_else(|| path(a, &["BuyerOrderReferencedDocument", "ID"]))
        }),
    );

    // Payment terms (several descriptions are joined) and due date.
    let mut terms = Vec::new();
    for t in children(settlement, "SpecifiedTradePaymentTerms") {
        if let Some(desc) = text(child(t, "Description")) {
            if terms.is_empty() {
                acc.ev(
                    "payment_terms",
                    1.0,
                    FieldSource::EInvoice,
                    0,
                    0,
                    node_path(child(t, "Description").unwrap_or(t)),
                );
            }
            terms.push(desc);
        }
        if acc.inv.due_date.is_none()
            && let Some(n) = path(t, &["DueDateDateTime", "DateTimeString"])
        {
            acc.inv.due_date = Some(date_102(n)?);
            acc.ev("due_date", 1.0, FieldSource::EInvoice, 0, 0, node_path(n));
        }
    }
    if !terms.is_empty() {
        acc.inv.payment_terms = Some(terms.join(" "));
    }

    // First credit-transfer payment means with a payee account, else the first
    // payee account at all.
    let means: Vec<Node> = children(settlement, "SpecifiedTradeSettlementPaymentMeans").collect();
    let has_account = |m: &Node| child(*m, "PayeePartyCreditorFinancialAccount").is_some();
    let transfer = |m: &Node| {
        matches!(
            text(child(*m, "TypeCode")).as_deref(),
            Some("30" | "58" | "42")
        )
    };
    if let Some(m) = means
        .iter()
        .find(|m| has_account(m) && transfer(m))
        .or_else(|| means.iter().find(|m| has_account(m)))
    {
        let acct = child(*m, "PayeePartyCreditorFinancialAccount");
        acc.inv.iban = set_text(acc, "iban", acct.and_then(|a| child(a, "IBANID")));
        acc.inv.bic = set_text(
            acc,
            "bic",
            path(*m, &["PayeeSpecifiedCreditorFinancialInstitution", "BICID"]),
        );
    }

    // Totals.
    let mut extras = XmlExtras::default();
    if let Some(s) = child(settlement, d.summation) {
        let amount = |acc: &mut Acc, name: &str, field: &str| -> R<Option<Money>> {
            // TaxTotalAmount may appear twice: in invoice and in tax-accounting
            // currency; the invoice's is the one without or with a matching currencyID.
            let n = children(s, name)
                .find(|n| n.attribute("currencyID").is_none_or(|c| c == currency))
                .or_else(|| {
                    children(s, name)
                        .next()
                        .filter(|_| name != "TaxTotalAmount")
                });
            match n {
                Some(n) => {
                    if !field.is_empty() {
                        acc.ev(field, 1.0, FieldSource::EInvoice, 0, 0, node_path(n));
                    }
                    Ok(Some(money(n, &currency)?))
                }
                None => Ok(None),
            }
        };
        extras.line_total = amount(acc, "LineTotalAmount", "")?;
        extras.rounding = amount(acc, "RoundingAmount", "")?;
        acc.inv.net_total = amount(acc, "TaxBasisTotalAmount", "net_total")?;
        acc.inv.tax_total = amount(acc, "TaxTotalAmount", "tax_total")?;
        acc.inv.gross_total = amount(acc, "GrandTotalAmount", "gross_total")?;
        acc.inv.prepaid = amount(acc, "TotalPrepaidAmount", "prepaid")?;
        acc.inv.amount_due = amount(acc, "DuePayableAmount", "amount_due")?;
    }

    for t in children(settlement, "ApplicableTradeTax") {
        let (Some(calc), Some(basis)) = (child(t, "CalculatedAmount"), child(t, "BasisAmount"))
        else {
            continue;
        };
        let rate = match child(t, d.rate) {
            Some(r) => decimal(r)?,
            None => papyr_sdk::types::Decimal { value: 0, scale: 0 },
        };
        acc.inv.tax_breakdown.push(TaxLine {
            rate,
            basis: money(basis, &currency)?,
            amount: money(calc, &currency)?,
            category: text(child(t, "CategoryCode")),
        });
    }

    for li in children(tx, "IncludedSupplyChainTradeLineItem") {
        // XRechnung sub-lines (ParentLineID) are details of a group line; the
        // group line already carries their sum.
        if path(li, &["AssociatedDocumentLineDocument", "ParentLineID"]).is_some() {
            continue;
        }
        let product = child(li, "SpecifiedTradeProduct");
        let la = child(li, d.line_agreement);
        let ld = child(li, d.line_delivery);
        let ls = child(li, d.line_settlement);
        let qty_node = ld.and_then(|x| child(x, "BilledQuantity"));
        let price = la.and_then(|x| child(x, "NetPriceProductTradePrice"));
        let unit_price = match price.and_then(|p| child(p, "ChargeAmount")) {
            Some(c) => unit_price(c, price.and_then(|p| child(p, "BasisQuantity")))?,
            None => None,
        };
        let net = match ls
            .and_then(|x| child(x, d.line_summation))
            .and_then(|x| child(x, "LineTotalAmount"))
        {
            Some(n) => Some(money(n, &currency)?),
            None => None,
        };
        let rate = match ls
            .and_then(|x| child(x, "ApplicableTradeTax"))
            .and_then(|x| child(x, d.rate))
        {
            Some(n) => Some(decimal(n)?),
            None => None,
        };
        acc.inv.line_items.push(LineItem {
            description: product
                .and_then(|p| text(child(p, "Name")))
                .unwrap_or_default(),
            quantity: match qty_node {
                Some(q) => Some(decimal(q)?),
                None => None,
            },
            unit: qty_node
                .and_then(|q| q.attribute("unitCode"))
                .map(str::to_string),
            unit_price,
            net_amount: net,
            tax_rate: rate,
            product_code: product.and_then(|p| {
                text(child(p, "SellerAssignedID")).or_else(|| text(child(p, "GlobalID")))
            }),
        });
    }
    Ok(extras)
}

/// Unit price = price / base quantity, kept exact (never rounded); a price per a
/// base quantity whose quotient does not terminate is an error.
fn unit_price(price: Node, base: Option<Node>) -> R<Option<papyr_sdk::types::Decimal>> {
    let raw = price.text().unwrap_or("").trim();
    let p = Num::parse_plain(raw)
        .ok_or_else(|| bad(format!("{}: `{raw}` is not a decimal", node_path(price))))?;
    let q = match base.and_then(|b| Num::parse_plain(b.text().unwrap_or(""))) {
        Some(q) if !q.is_zero() => q,
        _ => return Ok(p.to_decimal()),
    };
    Ok(p.div_exact(q).and_then(Num::to_decimal))
}

fn ubl_party(acc: &mut Acc, p: Option<Node>, who: &str) -> Party {
    let mut party = Party {
        name: None,
        tax_id: None,
        address: None,
        country: None,
    };
    let Some(p) = p else { return party };
    // BT-27 (legal registration name) first: that is what CII's TradeParty/Name holds.
    let name = path(p, &["PartyLegalEntity", "RegistrationName"])
        .or_else(|| path(p, &["PartyName", "Name"]));
    party.name = set_text(acc, &format!("{who}_name"), name);
    let schemes: Vec<Node> = children(p, "PartyTaxScheme").collect();
    let vat = schemes
        .iter()
        .find(|s| text(path(**s, &["TaxScheme", "ID"])).as_deref() == Some("VAT"))
        .or(schemes.first())
        .and_then(|s| child(*s, "CompanyID"));
    party.tax_id = set_text(acc, &format!("{who}_tax_id"), vat);
    if let Some(a) = child(p, "PostalAddress") {
        party.address = join_address(
            vec![
                text(child(a, "StreetName")),
                text(child(a, "AdditionalStreetName")),
                text(path(a, &["AddressLine", "Line"])),
            ],
            text(child(a, "PostalZone")),
            text(child(a, "CityName")),
        );
        party.country = text(path(a, &["Country", "IdentificationCode"]));
    }
    party
}

fn read_ubl(root: Node, acc: &mut Acc) -> R<XmlExtras> {
    let credit = root.tag_name().name() == "CreditNote";
    acc.inv.kind = if credit {
        DocumentKind::CreditNote
    } else {
        DocumentKind::Invoice
    };
    acc.inv.invoice_number = set_text(acc, "invoice_number", child(root, "ID"));
    let code =
        text(child(root, "InvoiceTypeCode")).or_else(|| text(child(root, "CreditNoteTypeCode")));
    if let Some(code) = code {
        acc.inv.kind = if credit {
            DocumentKind::CreditNote
        } else {
            kind_of_code(&code)
        };
    }
    if let Some(n) = child(root, "IssueDate") {
        acc.inv.issue_date = Some(date_iso(n)?);
        acc.ev("issue_date", 1.0, FieldSource::EInvoice, 0, 0, node_path(n));
    }
    let currency = set_text(acc, "currency", child(root, "DocumentCurrencyCode"))
        .ok_or_else(|| bad("UBL: no DocumentCurrencyCode"))?;
    acc.inv.currency = Some(currency.clone());

    acc.inv.vendor = ubl_party(
        acc,
        path(root, &["AccountingSupplierParty", "Party"]),
        "vendor",
    );
    acc.inv.customer = ubl_party(
        acc,
        path(root, &["AccountingCustomerParty", "Party"]),
        "customer",
    );
    acc.inv.po_number = set_text(acc, "po_number", path(root, &["OrderReference", "ID"]));

    let means: Vec<Node> = children(root, "PaymentMeans").collect();
    let due =
        child(root, "DueDate").or_else(|| means.iter().find_map(|m| child(*m, "PaymentDueDate")));
    if let Some(n) = due {
        acc.inv.due_date = Some(date_iso(n)?);
        acc.ev("due_date", 1.0, FieldSource::EInvoice, 0, 0, node_path(n));
    }
    let has_account = |m: &Node| child(*m, "PayeeFinancialAccount").is_some();
    let transfer = |m: &Node| {
        matches!(
            text(child(*m, "PaymentMeansCode")).as_deref(),
            Some("30" | "58" | "42")
        )
    };
    if let Some(m) = means
        .iter()
        .find(|m| has_account(m) && transfer(m))
        .or_else(|| means.iter().find(|m| has_account(m)))
    {
        let acct = child(*m, "PayeeFinancialAccount");
        acc.inv.iban = set_text(acc, "iban", acct.and_then(|a| child(a, "ID")));
        acc.inv.bic = set_text(
            acc,
            "bic",
            acct.and_then(|a| path(a, &["FinancialInstitutionBranch", "ID"])),
        );
    }
    let terms: Vec<String> = children(root, "PaymentTerms")
        .filter_map(|t| text(child(t, "Note")))
        .collect();
    if !terms.is_empty() {
        if let Some(n) = children(root, "PaymentTerms").find_map(|t| child(t, "Note")) {
            acc.ev(
                "payment_terms",
                1.0,
                FieldSource::EInvoice,
                0,
                0,
                node_path(n),
            );
        }
        acc.inv.payment_terms = Some(terms.join(" "));
    }

    let mut extras = XmlExtras::default();
    if let Some(t) = child(root, "LegalMonetaryTotal") {
        let get = |acc: &mut Acc, name: &str, field: &str| -> R<Option<Money>> {
            match child(t, name) {
                Some(n) => {
                    if !field.is_empty() {
                        acc.ev(field, 1.0, FieldSource::EInvoice, 0, 0, node_path(n));
                    }
                    Ok(Some(money(n, &currency)?))
                }
                None => Ok(None),
            }
        };
        extras.line_total = get(acc, "LineExtensionAmount", "")?;
        extras.rounding = get(acc, "PayableRoundingAmount", "")?;
        acc.inv.net_total = get(acc, "TaxExclusiveAmount", "net_total")?;
        acc.inv.gross_total = get(acc, "TaxInclusiveAmount", "gross_total")?;
        acc.inv.prepaid = get(acc, "PrepaidAmount", "prepaid")?;
        acc.inv.amount_due = get(acc, "PayableAmount", "amount_due")?;
    }
    // The TaxTotal in the document currency (another may be in the tax currency).
    let tax_total = children(root, "TaxTotal").find(|t| {
        child(*t, "TaxAmount")
            .is_some_and(|a| a.attribute("currencyID").is_none_or(|c| c == currency))
    });
    if let Some(tt) = tax_total {
        if let Some(a) = child(tt, "TaxAmount") {
            acc.ev("tax_total", 1.0, FieldSource::EInvoice, 0, 0, node_path(a));
            acc.inv.tax_total = Some(money(a, &currency)?);
        }
        for st in children(tt, "TaxSubtotal") {
            let (Some(basis), Some(amount)) = (child(st, "TaxableAmount"), child(st, "TaxAmount"))
            else {
                continue;
            };
            let cat = child(st, "TaxCategory");
            let rate = match cat.and_then(|c| child(c, "Percent")) {
                Some(p) => decimal(p)?,
                None => papyr_sdk::types::Decimal { value: 0, scale: 0 },
            };
            acc.inv.tax_breakdown.push(TaxLine {
                rate,
                basis: money(basis, &currency)?,
                amount: money(amount, &currency)?,
                category: cat.and_then(|c| text(child(c, "ID"))),
            });
        }
    }

    let line_name = if credit {
        "CreditNoteLine"
    } else {
        "InvoiceLine"
    };
    let qty_name = if credit {
        "CreditedQuantity"
    } else {
        "InvoicedQuantity"
    };
    for li in children(root, line_name) {
        let item = child(li, "Item");
        let qty = child(li, qty_name);
        let price = child(li, "Price");
        let unit_price = match price.and_then(|p| child(p, "PriceAmount")) {
            Some(pa) => unit_price(pa, price.and_then(|p| child(p, "BaseQuantity")))?,
            None => None,
        };
        acc.inv.line_items.push(LineItem {
            description: item
                .and_then(|i| text(child(i, "Name")))
                .unwrap_or_default(),
            quantity: match qty {
                Some(q) => Some(decimal(q)?),
                None => None,
            },
            unit: qty
                .and_then(|q| q.attribute("unitCode"))
                .map(str::to_string),
            unit_price,
            net_amount: match child(li, "LineExtensionAmount") {
                Some(n) => Some(money(n, &currency)?),
                None => None,
            },
            tax_rate: match item.and_then(|i| path(i, &["ClassifiedTaxCategory", "Percent"])) {
                Some(p) => Some(decimal(p)?),
                None => None,
            },
            product_code: item.and_then(|i| {
                text(path(i, &["SellersItemIdentification", "ID"]))
                    .or_else(|| text(path(i, &["StandardItemIdentification", "ID"])))
            }),
        });
    }
    Ok(extras)
}
