//! Every bound the parser enforces on untrusted input. The sandbox also caps memory
//! (~128 MiB) and time, but hitting those is a plugin fault; these limits turn a
//! hostile or absurd document into a clear `StageError::LimitExceeded` instead.

/// Largest input accepted at all.
pub const MAX_INPUT_BYTES: usize = 64 << 20;
/// Largest decoded size of one stream (content, font, object stream, XMP, ...).
pub const MAX_STREAM_DECODED: usize = 32 << 20;
/// Decoded bytes summed over every stream decoded while parsing one document.
pub const MAX_TOTAL_DECODED: usize = 64 << 20;
/// Largest embedded file whose content is carried in the result; bigger ones are
/// reported with their size only (and a warning).
pub const MAX_EMBEDDED_CONTENT: usize = 8 << 20;
/// Pages in the page tree.
pub const MAX_PAGES: usize = 2000;
/// Object numbers in the cross-reference data (or found by a recovery scan).
pub const MAX_OBJECTS: usize = 1_000_000;
/// Sections in the trailer chain (revisions).
pub const MAX_REVISIONS: usize = 1000;
/// Content stream operators interpreted over the whole document (forms included).
pub const MAX_OPERATORS: usize = 4_000_000;
/// Nesting of Form XObjects drawn by `Do`.
pub const MAX_FORM_DEPTH: usize = 12;
/// Nesting of arrays/dictionaries in one object.
pub const MAX_NESTING: usize = 64;
/// Depth of the page tree.
pub const MAX_TREE_DEPTH: usize = 64;
/// Extracted characters per page; the rest of the page is dropped with a warning.
pub const MAX_TEXT_PER_PAGE: usize = 1 << 20;
/// Entries in one ToUnicode CMap.
pub const MAX_CMAP_ENTRIES: usize = 100_000;
/// Embedded files listed.
pub const MAX_EMBEDDED_FILES: usize = 100;
/// XML nodes in an e-invoice or XMP packet.
pub const MAX_XML_NODES: u32 = 2_000_000;
/// Lines of a plain-text document.
pub const MAX_TEXT_LINES: usize = 100_000;
/// Warnings kept (further ones are counted in a final summary warning).
pub const MAX_WARNINGS: usize = 50;
