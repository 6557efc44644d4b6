//! Assemble a [`ParsedDocument`] from a PDF: pages and text, fonts, metadata,
//! revisions, embedded files and the e-invoice.
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use papyr_sdk::types::{
    DocumentFormat, EmbeddedFile, Font as FontRec, Page, ParsedDocument, Revision, StageError,
};

use crate::content::{self, Ctx, FontKey};
use crate::lex::{Dict, Obj};
use crate::limits::*;
use crate::pdf::{Entry, Pdf};
use crate::{meta, xml};

struct PageRef {
    num: Option<u32>,
    dict: Rc<Dict>,
    res: Obj,
    mediabox: [f64; 4],
}

/// What an object is to the rendered pages; replacing it in an update changes
/// what the document shows.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Role {
    Page,
    Contents,
    Font,
    XObject,
    AnnotsArray,
}

pub fn parse_pdf(data: &[u8], filename: &str) -> Result<ParsedDocument, StageError> {
    let linearized = memchr::memmem::find(&data[..data.len().min(1024)], b"/Linearized").is_some();
    let mut pdf = Pdf::open(data)?;
    let root = pdf.root()?;
    let pages = collect_pages(&mut pdf, &root)?;

    let mut ctx = Ctx::default();
    let mut out_pages = Vec::with_capacity(pages.len());
    let mut roles: HashMap<u32, Role> = HashMap::new();
    for (i, p) in pages.iter().enumerate() {
        let no = i as u32 + 1;
        if let Some(n) = p.num {
            roles.insert(n, Role::Page);
        }
        if let Some(Obj::Ref(n, _)) = p.dict.get(b"Annots") {
            roles.insert(*n, Role::AnnotsArray);
        }
        let mut content = Vec::new();
        let parts: Vec<Obj> = match p.dict.get(b"Contents") {
            Some(Obj::Array(a)) => a.to_vec(),
            Some(o @ Obj::Ref(..)) => match pdf.resolve(o)? {
                Obj::Array(a) => a.to_vec(),
                _ => vec![o.clone()],
            },
            Some(o) => vec![o.clone()],
            None => vec![],
        };
        for part in parts.iter().take(10_000) {
            if let Obj::Ref(n, _) = part {
                roles.insert(*n, Role::Contents);
            }
            if let Obj::Stream(s) = pdf.resolve(part)?
                && let Some(d) = pdf.decode_stream(&s, &format!("the content of page {no}"))?
            {
                content.extend_from_slice(&d);
                content.push(b'\n');
            }
        }
        let po = content::run_page(&mut pdf, &mut ctx, no, &content, &p.res)?;
        if po.truncated {
            pdf.warnings.push(format!(
                "page {no}: more than {MAX_TEXT_PER_PAGE} characters of text; the rest was dropped"
            ));
        }
        let [x0, y0, x1, y1] = p.mediabox;
        let lines = content::layout(&po.pieces, no, y0.max(y1), x0.min(x1));
        out_pages.push(Page {
            number: no,
            width: (x1 - x0).abs() as f32,
            height: (y1 - y0).abs() as f32,
            lines,
            image_count: po.images,
        });
    }
    for n in ctx.forms.keys() {
        roles.entry(*n).or_insert(Role::XObject);
    }

    // Fonts, and the objects that make them up.
    let mut fonts = Vec::new();
    for key in &ctx.usage.order {
        let Some((f, pages)) = ctx.usage.info.get(key) else {
            continue;
        };
        if let FontKey::Obj(n) = key {
            roles.insert(*n, Role::Font);
            font_parts(&mut pdf, *n, &mut roles)?;
        }
        let tag = subset_tag(&f.base_font);
        fonts.push(FontRec {
            base_font: f.base_font.clone(),
            subset_tag: tag,
            subtype: if f.subtype.is_empty() {
                String::new()
            } else {
                format!("/{}", f.subtype)
            },
            embedded: f.embedded,
            pages: pages.clone(),
        });
    }

    // Metadata.
    let mut metadata = meta::empty();
    let trailer = pdf.trailer.clone();
    if let Some(info) = pdf.get_key(&trailer, b"Info")?.as_dict() {
        meta::fill_info(&mut metadata, info);
    }
    if let Obj::Stream(s) = pdf.get_key(&root, b"Metadata")?
        && let Some(x) = pdf.decode_stream(&s, "the XMP metadata")?
        && let Err(e) = meta::fill_xmp(&mut metadata, &x)
    {
        pdf.warnings.push(format!("XMP metadata not readable: {e}"));
    }

    // Revisions.
    let (revisions, edit_count) = if pdf.recovered {
        let rev = Revision {
            index: 0,
            xref_offset: 0,
            objects_defined: pdf.xref.len() as u32,
            objects_replaced: 0,
            rewrites_content: false,
            signature_only: false,
            producer: metadata.producer.clone(),
        };
        (vec![rev], 0)
    } else {
        revisions(&mut pdf, &roles, linearized)?
    };
    if revisions.len() > 1 {
        metadata.first_producer = revisions[0].producer.clone();
    }

    let embedded_files = embedded_files(&mut pdf, &root)?;
    let e_invoice = pick_einvoice(&embedded_files, &mut pdf.warnings);

    let has_text_layer = out_pages
        .iter()
        .any(|p| p.lines.iter().any(|l| !l.text.trim().is_empty()));
    let _ = filename;
    Ok(ParsedDocument {
        format: DocumentFormat::Pdf,
        pages: out_pages,
        has_text_layer,
        metadata,
        revisions,
        edit_count,
        linearized,
        encrypted: false,
        fonts,
        embedded_files,
        e_invoice,
        warnings: pdf.warnings.finish(),
    })
}

pub fn subset_tag(base: &str) -> Option<String> {
    let b = base.as_bytes();
    (b.len() > 7 && b[6] == b'+' && b[..6].iter().all(u8::is_ascii_uppercase))
        .then(|| base[..6].to_string())
}

fn font_parts(pdf: &mut Pdf, n: u32, roles: &mut HashMap<u32, Role>) -> Result<(), StageError> {
    let Some(fd) = pdf.get(n)?.as_dict().cloned() else {
        return Ok(());
    };
    let mut refs: Vec<u32> = Vec::new();
    for key in [&b"FontDescriptor"[..], b"ToUnicode", b"Encoding"] {
        if let Some(r) = fd.get(key).and_then(Obj::as_ref) {
            refs.push(r);
        }
    }
    if let Obj::Array(d) = pdf.get_key(&fd, b"DescendantFonts")? {
        for o in d.iter() {
            if let Some(r) = o.as_ref() {
                refs.push(r);
                if let Some(dd) = pdf.get(r)?.as_dict()
                    && let Some(fdr) = dd.get(b"FontDescriptor").and_then(Obj::as_ref)
                {
                    refs.push(fdr);
                }
            }
        }
    }
    for r in refs.clone() {
        if let Some(d) = pdf.get(r)?.as_dict()
            && d.is_type(b"FontDescriptor")
        {
            for key in [&b"FontFile"[..], b"FontFile2", b"FontFile3"] {
                if let Some(ff) = d.get(key).and_then(Obj::as_ref) {
                    refs.push(ff);
                }
            }
        }
    }
    for r in refs {
        roles.entry(r).or_insert(Role::Font);
    }
    Ok(())
}

fn rect(o: &Obj) -> Option<[f64; 4]> {
    let a = o.as_array()?;
    if a.len() < 4 {
        return None;
    }
    let v: Vec<f64> = a
        .iter()
        .take(4)
        .map(|x| x.as_f64().unwrap_or(0.0))
        .collect();
    ((v[2] - v[0]).abs() > 1.0 && (v[3] - v[1]).abs() > 1.0).then(|| [v[0], v[1], v[2], v[3]])
}

fn collect_pages(pdf: &mut Pdf, root: &Dict) -> Result<Vec<PageRef>, StageError> {
    let mut out = Vec::new();
    let mut visited = HashSet::new();
    let Some(top) = root.get(b"Pages").cloned() else {
        return Ok(out);
    };
    // (node, inherited resources, inherited media box, depth)
    let mut stack = vec![(top, Obj::Null, [0.0, 0.0, 612.0, 792.0], 0usize)];
    while let Some((node, res, mb, depth)) = stack.pop() {
        let num = node.as_ref();
        if let Some(n) = num
            && !visited.insert(n)
        {
            pdf.warnings
                .push(format!("the page tree refers to object {n} twice; ignored"));
            continue;
        }
        let Some(d) = pdf.resolve(&node)?.as_dict().cloned() else {
            continue;
        };
        let res = match d.get(b"Resources") {
            Some(r) => r.clone(),
            None => res,
        };
        let mb = match pdf.get_key(&d, b"MediaBox")? {
            o @ Obj::Array(_) => rect(&o).unwrap_or(mb),
            _ => mb,
        };
        let kids = pdf.get_key(&d, b"Kids")?;
        if d.is_type(b"Pages") || (!d.is_type(b"Page") && kids.as_array().is_some()) {
            if depth >= MAX_TREE_DEPTH {
                pdf.warnings
                    .push("the page tree is too deep; part of it was ignored".into());
                continue;
            }
            if let Some(k) = kids.as_array() {
                for kid in k.iter().rev() {
                    stack.push((kid.clone(), res.clone(), mb, depth + 1));
                }
            }
            continue;
        }
        out.push(PageRef {
            num,
            dict: Rc::new(d),
            res,
            mediabox: mb,
        });
        if out.len() > MAX_PAGES {
            return Err(StageError::LimitExceeded(format!(
                "the PDF has more than {MAX_PAGES} pages"
            )));
        }
    }
    Ok(out)
}

fn is_sig(d: &Dict) -> bool {
    d.has(b"ByteRange") || d.is_type(b"Sig") || d.is_type(b"DocTimeStamp")
}

/// Annotation references of a page's (or annots array's) value, as of `rev`.
fn annot_refs(pdf: &mut Pdf, o: Option<&Obj>, rev: usize) -> Result<Vec<u32>, StageError> {
    let arr = match o {
        Some(Obj::Ref(n, _)) => pdf.get_at(*n, rev)?,
        Some(o) => o.clone(),
        None => Obj::Null,
    };
    Ok(arr
        .as_array()
        .map(|a| a.iter().filter_map(Obj::as_ref).collect())
        .unwrap_or_default())
}

/// Whether annotations newly referenced (not in `old`) include anything other
/// than widgets (form fields, signatures) and links: e.g. a FreeText or Stamp
/// laid over the page.
fn adds_visible_annots(pdf: &mut Pdf, old: &[u32], new: &[u32]) -> Result<bool, StageError> {
    for n in new.iter().filter(|n| !old.contains(n)) {
        let o = pdf.get(*n)?;
        let sub = o
            .as_dict()
            .and_then(|d| d.name(b"Subtype").map(<[u8]>::to_vec));
        if !matches!(sub.as_deref(), Some(b"Widget" | b"Link")) {
            return Ok(true);
        }
    }
    Ok(false)
}

fn revisions(
    pdf: &mut Pdf,
    roles: &HashMap<u32, Role>,
    linearized: bool,
) -> Result<(Vec<Revision>, u32), StageError> {
    let count = pdf.sections.len();
    let mut out = Vec::with_capacity(count);
    let mut lin_update = None;
    // Entries as of the previous revision, built up oldest first.
    let mut state: HashMap<u32, Entry> = HashMap::new();
    // Bounds the per-object analysis of hostile files with thousands of updates.
    let mut budget = 200_000usize;
    for i in 0..count {
        let (offset, entries, trailer) = {
            let s = &pdf.sections[i];
            (s.offset, s.entries.clone(), s.trailer.clone())
        };
        // The first-page section of a linearised file sits before the main one
        // in the file but comes later in the chain.
        if linearized && i > 0 && lin_update.is_none() && offset < pdf.sections[i - 1].offset {
            lin_update = Some(i);
        }
        let mut defined = 0u32;
        let mut replaced = 0u32;
        let mut rewrites = false;
        let mut has_sig = false;
        let mut only_sig_support = true;
        let info_num = trailer.get(b"Info").and_then(Obj::as_ref);
        let mut defines_info = i == 0;
        for (num, e) in entries.iter().copied() {
            if e == Entry::Free || num == 0 {
                continue;
            }
            let prev = state.get(&num).copied();
            if prev == Some(e) {
                continue; // re-listed unchanged
            }
            defined += 1;
            if Some(num) == info_num {
                defines_info = true;
            }
            if i == 0 {
                continue;
            }
            if budget == 0 {
                pdf.warnings
                    .push("too many updated objects to analyse every revision".into());
                break;
            }
            budget -= 1;
            let new = pdf.get_entry(num, e, i)?;
            if new.as_dict().is_some_and(is_sig) {
                has_sig = true;
            }
            let Some(prev @ (Entry::Off(_) | Entry::InStm(..))) = prev else {
                continue;
            };
            let old = pdf.get_entry(num, prev, i - 1)?;
            if old.is_null() {
                continue;
            }
            replaced += 1;
            let od = old.as_dict();
            let role = roles.get(&num).copied().or_else(|| match od {
                Some(d) if d.is_type(b"Page") => Some(Role::Page),
                Some(d) if d.is_type(b"Font") || d.is_type(b"FontDescriptor") => Some(Role::Font),
                _ => None,
            });
            match role {
                Some(Role::Page) => {
                    let (Some(od), Some(nd)) = (od, new.as_dict()) else {
                        rewrites = true;
                        continue;
                    };
                    if od.without(b"Annots") != nd.without(b"Annots") {
                        rewrites = true;
                    } else {
                        let (oa, na) = (od.get(b"Annots").cloned(), nd.get(b"Annots").cloned());
                        let old_refs = annot_refs(pdf, oa.as_ref(), i - 1)?;
                        let new_refs = annot_refs(pdf, na.as_ref(), i)?;
                        if adds_visible_annots(pdf, &old_refs, &new_refs)? {
                            rewrites = true;
                        }
                    }
                }
                Some(Role::AnnotsArray) => {
                    let old_refs = annot_refs(pdf, Some(&old), i - 1)?;
                    let new_refs = annot_refs(pdf, Some(&new), i)?;
                    if adds_visible_annots(pdf, &old_refs, &new_refs)? {
                        rewrites = true;
                    }
                }
                Some(Role::Contents | Role::Font | Role::XObject) => rewrites = true,
                None => {
                    let benign = Some(num) == info_num
                        || matches!(old, Obj::Array(_))
                        || od.is_some_and(|d| {
                            d.is_type(b"Catalog")
                                || d.is_type(b"Metadata")
                                || d.is_type(b"XRef")
                                || d.is_type(b"ObjStm")
                                || d.has(b"Fields")
                                || d.name(b"Subtype") == Some(b"Widget")
                                || d.name(b"FT") == Some(b"Sig")
                                || is_sig(d)
                        });
                    if !benign {
                        only_sig_support = false;
                    }
                }
            }
        }
        for (num, e) in entries.iter().copied() {
            state.insert(num, e);
        }
        let producer = match info_num {
            Some(n) if defines_info => pdf
                .get_at(n, i)?
                .as_dict()
                .and_then(|d| meta::info_text(d, b"Producer")),
            _ => None,
        };
        out.push(Revision {
            index: i as u32,
            xref_offset: offset as u64,
            objects_defined: defined,
            objects_replaced: replaced,
            rewrites_content: rewrites,
            signature_only: i > 0 && has_sig && !rewrites && only_sig_support,
            producer,
        });
    }
    let updates = count.saturating_sub(1) as u32;
    let lin = u32::from(lin_update.is_some());
    let final_sig = u32::from(
        count > 1 && out.last().is_some_and(|r| r.signature_only) && lin_update != Some(count - 1),
    );
    Ok((out, updates.saturating_sub(lin + final_sig)))
}

fn embedded_files(pdf: &mut Pdf, root: &Dict) -> Result<Vec<EmbeddedFile>, StageError> {
    let mut specs: Vec<Obj> = Vec::new();
    let names = pdf.get_key(root, b"Names")?;
    if let Some(nd) = names.as_dict() {
        let tree = pdf.get_key(nd, b"EmbeddedFiles")?;
        let mut stack = vec![(tree, 0usize)];
        let mut visited = 0usize;
        while let Some((node, depth)) = stack.pop() {
            visited += 1;
            if visited > 10_000 || depth > MAX_TREE_DEPTH {
                break;
            }
            let Some(d) = node.as_dict() else { continue };
            if let Obj::Array(pairs) = pdf.get_key(d, b"Names")? {
                specs.extend(pairs.iter().skip(1).step_by(2).cloned());
            }
            if let Obj::Array(kids) = pdf.get_key(d, b"Kids")? {
                for k in kids.iter().rev() {
                    stack.push((pdf.resolve(k)?, depth + 1));
                }
            }
        }
    }
    if let Obj::Array(af) = pdf.get_key(root, b"AF")? {
        specs.extend(af.iter().cloned());
    }
    let mut seen_refs = HashSet::new();
    let mut out: Vec<EmbeddedFile> = Vec::new();
    for spec in specs {
        if out.len() >= MAX_EMBEDDED_FILES {
            pdf.warnings.push(format!(
                "more than {MAX_EMBEDDED_FILES} embedded files; the rest are not listed"
            ));
            break;
        }
        if let Some(n) = spec.as_ref()
            && !seen_refs.insert(n)
        {
            continue;
        }
        let Some(fs) = pdf.resolve(&spec)?.as_dict().cloned() else {
            continue;
        };
        let name = meta::info_text(&fs, b"UF")
            .or_else(|| meta::info_text(&fs, b"F"))
            .unwrap_or_default();
        let relationship = fs.get(b"AFRelationship").and_then(meta::name_of);
        let Some(ef) = pdf.get_key(&fs, b"EF")?.as_dict().cloned() else {
            continue;
        };
        let stream = match pdf.get_key(&ef, b"F")? {
            Obj::Stream(s) => s,
            _ => match pdf.get_key(&ef, b"UF")? {
                Obj::Stream(s) => s,
                _ => continue,
            },
        };
        // The same stream listed twice (name tree and /AF) is one file.
        if out.iter().any(|f| f.name == name) && !name.is_empty() {
            continue;
        }
        let media_type = stream.dict.get(b"Subtype").and_then(meta::name_of);
        let declared = match pdf.get_key(&stream.dict, b"Params")? {
            Obj::Dict(p) => p
                .get(b"Size")
                .and_then(Obj::as_i64)
                .and_then(|s| u64::try_from(s).ok()),
            _ => None,
        };
        let label = format!("embedded file {name:?}");
        let (content, size) = match pdf.decode_stream_limited(&stream, &label, MAX_EMBEDDED_CONTENT)
        {
            Ok(Some(d)) => {
                let n = d.len() as u64;
                (d, n)
            }
            Ok(None) => (vec![], declared.unwrap_or(0)),
            Err(None) => {
                pdf.warnings.push(format!(
                    "{label} is larger than {} MiB; only its size is reported",
                    MAX_EMBEDDED_CONTENT >> 20
                ));
                (vec![], declared.unwrap_or(MAX_EMBEDDED_CONTENT as u64 + 1))
            }
            Err(Some(e)) => return Err(e),
        };
        out.push(EmbeddedFile {
            name,
            media_type,
            relationship,
            content,
            size,
        });
    }
    Ok(out)
}

fn pick_einvoice(
    files: &[EmbeddedFile],
    warnings: &mut crate::Warnings,
) -> Option<papyr_sdk::types::EInvoice> {
    let lower = |f: &EmbeddedFile| f.name.to_ascii_lowercase();
    let mut candidates: Vec<&EmbeddedFile> = Vec::new();
    for pref in xml::PREFERRED_NAMES {
        candidates.extend(files.iter().filter(|f| lower(f) == *pref));
    }
    candidates.extend(files.iter().filter(|f| {
        let n = lower(f);
        let xmlish =
            n.ends_with(".xml") || f.media_type.as_deref().is_some_and(|m| m.contains("xml"));
        // Order-X carries an order, not an invoice.
        xmlish && n != "order-x.xml" && !xml::PREFERRED_NAMES.contains(&n.as_str())
    }));
    for f in candidates {
        if f.content.is_empty() {
            continue;
        }
        let Some(text) = xml::xml_text(&f.content) else {
            warnings.push(format!(
                "embedded file {:?} is not UTF-8/UTF-16 text",
                f.name
            ));
            continue;
        };
        match xml::classify(&text, &f.name) {
            Ok(inv) if xml::is_invoice(&inv.syntax) => return Some(inv),
            Ok(_) => {}
            Err(e) => warnings.push(format!(
                "embedded file {:?} is not well-formed XML: {e}",
                f.name
            )),
        }
    }
    None
}
